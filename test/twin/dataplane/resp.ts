// Just enough RESP for the Redis front: client commands arrive as arrays of bulk strings (or as inline
// commands, as telnet sends them); CommandReader splits a byte stream into commands, encodeCommand writes
// one back. Replies from the server are never parsed: they are piped through as bytes.

export class RespProtocolError extends Error {}

export class CommandReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every complete command now buffered (each a list of arguments). */
  push(chunk: Buffer): Buffer[][] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const commands: Buffer[][] = [];
    for (;;) {
      const parsed = this.buffer[0] === 0x2a /* '*' */ ? this.readArray() : this.readInline();
      if (!parsed) break;
      this.buffer = this.buffer.subarray(parsed.end);
      if (parsed.args.length > 0) commands.push(parsed.args);
    }
    return commands;
  }

  private line(from: number): { text: string; next: number } | undefined {
    const end = this.buffer.indexOf('\r\n', from);
    if (end < 0) {
      if (this.buffer.length - from > 64 * 1024) throw new RespProtocolError('Protocol error: too big inline request');
      return undefined;
    }
    return { text: this.buffer.toString('latin1', from, end), next: end + 2 };
  }

  private readArray(): { args: Buffer[]; end: number } | undefined {
    const header = this.line(1);
    if (!header) return undefined;
    const count = Number(header.text);
    if (!Number.isInteger(count) || count > 1024 * 1024) throw new RespProtocolError('Protocol error: invalid multibulk length');
    const args: Buffer[] = [];
    let at = header.next;
    for (let i = 0; i < count; i++) {
      if (at >= this.buffer.length) return undefined;
      if (this.buffer[at] !== 0x24 /* '$' */) throw new RespProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(this.buffer[at]!)}'`);
      const len = this.line(at + 1);
      if (!len) return undefined;
      const size = Number(len.text);
      if (!Number.isInteger(size) || size < 0 || size > 512 * 1024 * 1024) throw new RespProtocolError('Protocol error: invalid bulk length');
      if (len.next + size + 2 > this.buffer.length) return undefined;
      args.push(Buffer.from(this.buffer.subarray(len.next, len.next + size)));
      at = len.next + size + 2;
    }
    return { args, end: at };
  }

  private readInline(): { args: Buffer[]; end: number } | undefined {
    const end = this.buffer.indexOf('\n');
    if (end < 0) {
      if (this.buffer.length > 64 * 1024) throw new RespProtocolError('Protocol error: too big inline request');
      return undefined;
    }
    const text = this.buffer.toString('utf8', 0, end).replace(/\r$/, '');
    const args = text
      .split(' ')
      .filter(Boolean)
      .map((word) => Buffer.from(word));
    return { args, end: end + 1 };
  }
}

export function encodeCommand(args: readonly (Buffer | string)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export const errorReply = (message: string): Buffer => Buffer.from(`-${message}\r\n`);
