/** Log lines to stdout, as text or JSON (LOG_FORMAT). Callers never pass keys, tokens or bodies. */
import type { LogFormat } from './config.js';

export type LogFields = Record<string, string | number | boolean | undefined>;
export type Level = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, message: string, fields?: LogFields): void;
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

export function createLogger(format: LogFormat, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  if (format === 'json') {
    return {
      log(level, message, fields) {
        write(`${JSON.stringify({ time: timestamp(), level, msg: message, ...fields })}\n`);
      },
    };
  }
  return {
    log(level, message, fields) {
      let line = `${timestamp()} ${level.padEnd(5)} ${message}`;
      if (fields) {
        for (const [key, value] of Object.entries(fields)) if (value !== undefined) line += ` ${key}=${value}`;
      }
      write(`${line}\n`);
    },
  };
}
