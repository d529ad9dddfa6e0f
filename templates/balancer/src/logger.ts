/** Log lines to stdout, as text or JSON (LOG_FORMAT). Callers never pass keys, tokens or bodies. */
import type { LogFormat } from './config.js';

export type LogFields = Record<string, string | number | boolean | undefined>;
export type Level = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, message: string, fields?: LogFields): void;
}

export function createLogger(format: LogFormat, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  if (format === 'json') {
    return {
      log(level, message, fields) {
        write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
      },
    };
  }
  return {
    log(level, message, fields) {
      let line = `${new Date().toISOString()} ${level.padEnd(5)} ${message}`;
      if (fields) {
        for (const [key, value] of Object.entries(fields)) if (value !== undefined) line += ` ${key}=${value}`;
      }
      write(`${line}\n`);
    },
  };
}
