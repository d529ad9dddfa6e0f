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
        write(`${JSON.stringify({ time: timestamp(), level, msg: message, ...fields })}\n`);
      },
      flush,
    };
  }
  return {
    log(level, message, fields) {
      let line = `${timestamp()} ${level.padEnd(5)} ${message}`;
      if (fields) {
        for (const key in fields) {
          const value = fields[key];
          if (value !== undefined) line += ` ${key}=${value}`;
        }
      }
      write(`${line}\n`);
    },
    flush,
  };
}
