/**
 * How `aoai-lb logs` prints: each line prefixed by its replica, the backend of a `Proxying to` line in a
 * colour of its own (given in order of first appearance, so up to six backends never share one), or one
 * JSON object per line. Notices (connected, reconnecting, a replica gone) go to stderr.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export interface LogEntry {
  replica: string;
  revision: string;
  /** The time the platform read the line (ISO 8601), '' when the stream gave none. */
  time: string;
  line: string;
  /** For a `Proxying to` line: the backend's endpoint. */
  backend?: string;
}

export interface LogPrinterOptions {
  json: boolean;
  color: boolean;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface LogPrinter {
  entry(entry: LogEntry): void;
  notice(text: string): void;
}

type Paint = (text: string) => string;

/** `ca-lb-x--abc1234-5d9774cff-5wnd8` → `abc1234-5d9774cff-5wnd8`: the app's name is the same on every line. */
export function replicaLabel(replica: string): string {
  const cut = replica.lastIndexOf('--');
  return cut >= 0 ? replica.slice(cut + 2) : replica;
}

export function jsonLine(entry: LogEntry): string {
  const { replica, revision, time, line, backend } = entry;
  return JSON.stringify({ replica, revision, time, line, ...(backend ? { backend } : {}) });
}

export function createLogPrinter(options: LogPrinterOptions): LogPrinter {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const palette: Paint[] = [chalk.cyan, chalk.magenta, chalk.yellow, chalk.green, chalk.blue, chalk.red];
  const backendColours = new Map<string, Paint>();
  const paintBackend = (backend: string): Paint => {
    let paint = backendColours.get(backend);
    if (!paint) {
      paint = palette[backendColours.size % palette.length]!;
      backendColours.set(backend, paint);
    }
    return paint;
  };
  return {
    entry(entry) {
      if (options.json) {
        options.stdout.write(`${jsonLine(entry)}\n`);
        return;
      }
      options.stdout.write(`${formatEntry(entry, chalk, entry.backend ? paintBackend(entry.backend) : undefined)}\n`);
    },
    notice(text) {
      options.stderr.write(`${chalk.dim(`[logs] ${text}`)}\n`);
    },
  };
}

function formatEntry(entry: LogEntry, chalk: ChalkInstance, paintBackend: Paint | undefined): string {
  const prefix = chalk.dim(`[${replicaLabel(entry.replica)}]`);
  if (!entry.backend || !paintBackend) return `${prefix} ${entry.line}`;
  const at = entry.line.indexOf(entry.backend);
  if (at < 0) return `${prefix} ${entry.line}`;
  const line = entry.line.slice(0, at) + chalk.bold(paintBackend(entry.backend)) + entry.line.slice(at + entry.backend.length);
  return `${prefix} ${line}`;
}
