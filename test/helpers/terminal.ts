/**
 * A writable stream that acts as a terminal: isTTY, a width, the cursor methods of tty.WriteStream,
 * and a screen that applies what is written (text, \r, \n, cursor moves, line clears), so a test can
 * read what the user would see rather than the escape codes.
 */
import { clearLine, cursorTo, moveCursor } from 'node:readline';
import { Writable } from 'node:stream';

export class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 100;
  readonly rows = 40;
  /** Everything written, escape codes included. */
  raw = '';
  private readonly lines: string[] = [''];
  private row = 0;
  private col = 0;

  constructor() {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString();
    this.raw += text;
    this.apply(text);
    callback();
  }

  cursorTo(x: number, y?: number | (() => void), callback?: () => void): boolean {
    return cursorTo(this, x, typeof y === 'number' ? y : undefined, typeof y === 'function' ? y : callback);
  }

  moveCursor(dx: number, dy: number, callback?: () => void): boolean {
    return moveCursor(this, dx, dy, callback);
  }

  clearLine(dir: -1 | 0 | 1, callback?: () => void): boolean {
    return clearLine(this, dir, callback);
  }

  getColorDepth(): number {
    return 1;
  }

  /** The screen's lines, trailing empty ones dropped. */
  screen(): string[] {
    const lines = this.lines.map((line) => line.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  private apply(text: string): void {
    // eslint-disable-next-line no-control-regex
    const tokens = text.match(/\x1b\[\??[0-9;]*[A-Za-z]|\r|\n|[^\x1b\r\n]+/g) ?? [];
    for (const token of tokens) {
      if (token === '\n') {
        this.row++;
        this.col = 0;
        while (this.lines.length <= this.row) this.lines.push('');
      } else if (token === '\r') {
        this.col = 0;
      } else if (token.startsWith('\x1b[')) {
        this.control(token);
      } else {
        const line = this.lines[this.row]!.padEnd(this.col);
        this.lines[this.row] = line.slice(0, this.col) + token + line.slice(this.col + token.length);
        this.col += token.length;
      }
    }
  }

  private control(token: string): void {
    if (token[2] === '?') return; // cursor visibility, synchronized output
    const n = Number(token.slice(2, -1) || '0');
    switch (token.at(-1)) {
      case 'G':
        this.col = Math.max(0, n - 1);
        break;
      case 'A':
        this.row = Math.max(0, this.row - Math.max(1, n));
        break;
      case 'B':
        this.row += Math.max(1, n);
        while (this.lines.length <= this.row) this.lines.push('');
        break;
      case 'C':
        this.col += Math.max(1, n);
        break;
      case 'D':
        this.col = Math.max(0, this.col - Math.max(1, n));
        break;
      case 'K': {
        const line = this.lines[this.row]!;
        this.lines[this.row] = n === 0 ? line.slice(0, this.col) : n === 1 ? ' '.repeat(this.col) + line.slice(this.col) : '';
        break;
      }
      default:
        break; // colours (m) and anything else do not move text
    }
  }
}
