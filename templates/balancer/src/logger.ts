/** Log lines to stdout, as text or JSON (LOG_FORMAT). Callers never pass keys, tokens or bodies. */
import type { LogFormat } from './config.js';

export type LogFields = Record<string, string | number | boolean | undefined>;
export type Level = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, message: string, fields?: LogFields): void;
  /** Writes what is still buffered; call before the process exits. */
  flush(): void;
}

export interface LineSink {
  write(line: string): void;
  flush(): void;
}

/**
 * Standard output, with the lines of one event-loop turn written together: under load that is one
 * write for many requests instead of one per attempt (a write to a file or pipe blocks the process).
 */
export function stdoutSink(): LineSink {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const out = pending;
    pending = '';
    process.stdout.write(out);
  };
  return {
    write(line) {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** new Date().toISOString() costs more than the rest of a log line; reuse it within a millisecond. */
let lastMs = -1;
let lastIso = '';
function timestamp(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** A logger writing to `sink`, or to a plain function (each line written at once). */
export function createLogger(format: LogFormat, sink: LineSink | ((line: string) => void) = stdoutSink()): Logger {
  const { write, flush } = typeof sink === 'function' ? { write: sink, flush: () => undefined } : sink;
  if (format === 'json') {
    return {
      log(level, message, fields) {
        // JSON.stringify leaves C1 controls and U+2028/2029 raw; some log viewers break lines on them.
        write(`${JSON.stringify({ time: timestamp(), level, msg: message, ...fields }).replace(unescapedByJson, escapeChar)}\n`);
      },
      flush,
    };
  }
  return {
    log(level, message, fields) {
      let line = `${timestamp()} ${level.padEnd(5)} ${escapeControls(message)}`;
      if (fields) {
        for (const key in fields) {
          const value = fields[key];
          if (value !== undefined) line += ` ${key}=${textValue(value)}`;
        }
      }
      write(`${line}\n`);
    },
    flush,
  };
}

/**
 * Control characters, and the Unicode line and paragraph separators some log viewers break lines on:
 * clients choose deployment names and paths, and must not be able to write a line of their own.
 */
// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const hasControl = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const unescapedByJson = /[\u007f-\u009f\u2028\u2029]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function escapeControls(text: string): string {
  return text.replace(controls, escapeChar);
}

/** A field value as one token: bare when it cannot be mistaken for more fields, else quoted and escaped. */
function textValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  if (value.length > 0 && !/[\s"=\\]/.test(value) && !hasControl.test(value)) return value;
  return `"${escapeControls(value.replace(/[\\"]/g, '\\$&'))}"`;
}
