// What a replica container writes (stdout/stderr, line by line) and what the platform says about an app
// (system events), kept in bounded ring buffers that the log stream reads: the last N lines, then every new
// line while following. Also the line formats of the log stream (docs/twin.md "Log stream").

export interface LogLine {
  /** ISO 8601 time the twin read the line. */
  time: string;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

/** A bounded ring buffer of lines with followers; `end()` tells the followers that no line will come. */
export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private readonly followers = new Set<{ line: (l: LogLine) => void; end: () => void }>();
  ended = false;

  constructor(readonly capacity = 2000) {}

  push(line: LogLine): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    for (const f of this.followers) f.line(line);
  }

  /** The last `n` lines (all kept lines when n is undefined). */
  tail(n?: number): LogLine[] {
    return n === undefined ? [...this.lines] : n <= 0 ? [] : this.lines.slice(-n);
  }

  /** Calls `line` for each new line until the returned function is called or the buffer ends. */
  follow(line: (l: LogLine) => void, end: () => void): () => void {
    if (this.ended) {
      end();
      return () => undefined;
    }
    const f = { line, end };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const f of this.followers) f.end();
    this.followers.clear();
  }
}

/** Splits a byte stream into lines (\n or \r\n) and pushes each into `buffer` with the time it was read. */
export function lineReader(buffer: LogBuffer, stream: 'stdout' | 'stderr'): { write(chunk: Buffer): void; flush(): void } {
  let partial = '';
  const emit = (text: string) => buffer.push({ time: new Date().toISOString(), stream, text: text.replace(/\r$/, '') });
  return {
    write(chunk) {
      partial += chunk.toString('utf8');
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        emit(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
        nl = partial.indexOf('\n');
      }
      if (partial.length > 64 * 1024) {
        emit(partial);
        partial = '';
      }
    },
    flush() {
      if (partial) emit(partial);
      partial = '';
    },
  };
}

/**
 * A JSON string literal escaped the way .NET's default System.Text.Json encoder does (`"` → \u0022, `'` →
 * \u0027, `+` → \u002B, `<` `>` `&` `` ` `` and non-ASCII → \uXXXX, control characters such as ESC →
 * \u001B). The Azure CLI's `az containerapp logs show` undoes \u0022, \u001B, \u002B and \u0027 in every
 * line it reads (reference §2 "Log streaming"), which is why the twin's log stream escapes so.
 */
export function netJsonString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code > 0x7e || `"'+<>&\``.includes(ch)) {
      const units = code > 0xffff ? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)] : [code];
      for (const u of units) out += `\\u${u.toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** A JSON object line with .NET-style escaped string values (keys are plain). */
export function netJsonLine(fields: Record<string, string | number>): string {
  return `{${Object.entries(fields)
    .map(([k, v]) => `"${k}":${typeof v === 'number' ? String(v) : netJsonString(v)}`)
    .join(',')}}`;
}

/** A console log line as the log stream sends it: `{time} {text}` or `{"TimeStamp":…,"Log":…}`. */
export function consoleLine(line: LogLine, output: 'text' | 'json'): string {
  return output === 'json' ? netJsonLine({ TimeStamp: line.time, Log: line.text }) : `${line.time} ${line.text}`;
}
