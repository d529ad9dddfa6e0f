/**
 * What a log-stream line means: pure functions from the stream's text to entries, the `Proxying to`
 * filter, and the check that keeps a reconnected stream from repeating lines already shown.
 */
import type { LogEntry } from '../../ui/log-lines.js';

/** The words every upstream attempt of the balancer logs (ARCHITECTURE.md "Balancer log line"). */
export const proxyingMarker = 'Proxying to ';

export type StreamLine = { kind: 'connected'; text: string } | { kind: 'line'; time: string; text: string };

const timed = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s(.*)$/s;
const hello = /^(Connecting to the container '[^']*'\.\.\.|Successfully Connected to container: .*)$/;

/** The Azure CLI undoes these four .NET escapes in every log-stream line (reference §2); so do we. */
export function unescapeLine(text: string): string {
  return text
    .replace(/\\u0022/g, '"')
    .replace(/\\u001B/gi, '\u001b')
    .replace(/\\u002B/gi, '+')
    .replace(/\\u0027/g, "'");
}

/** One line of `output=text`: `{time} {container's line}`, or the stream's own connection notice. */
export function parseStreamLine(raw: string): StreamLine {
  const text = unescapeLine(raw);
  const match = timed.exec(text);
  const body = match ? match[2]! : text;
  if (hello.test(body)) return { kind: 'connected', text: body };
  return { kind: 'line', time: match ? match[1]! : '', text: body };
}

/**
 * The backend of a `Proxying to <url>` line: the account's endpoint, i.e. the URL up to its `/openai/`
 * path (https://openai1-x.openai.azure.com, or a path-prefixed endpoint such as a local front door's).
 */
export function backendOf(text: string): string | undefined {
  const at = text.indexOf(proxyingMarker);
  if (at < 0) return undefined;
  const url = text.slice(at + proxyingMarker.length).split(/\s/, 1)[0]!;
  const api = url.indexOf('/openai/');
  if (api > 0) return url.slice(0, api);
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export function toEntry(replica: string, revision: string, line: { time: string; text: string }): LogEntry {
  const backend = backendOf(line.text);
  return { replica, revision, time: line.time, line: line.text, ...(backend ? { backend } : {}) };
}

/** Without --all only the balancer's upstream attempts are shown. */
export function shown(entry: LogEntry, all: boolean): boolean {
  return all || entry.line.includes(proxyingMarker);
}

/** Milliseconds of an ISO time with any number of fraction digits; NaN when there is none. */
export function timeMs(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+/, '$1'));
}

/**
 * Remembers the newest time a stream has shown and the lines shown at that instant, so that after a
 * reconnect (which asks for the last lines again) only lines not yet shown pass.
 */
export class SeenLines {
  private lastMs = Number.NEGATIVE_INFINITY;
  private atLast = new Set<string>();

  constructor(sinceMs = Number.NEGATIVE_INFINITY) {
    this.lastMs = sinceMs;
  }

  /** True when the line is new; records it. Lines without a time always pass. */
  admit(line: { time: string; text: string }): boolean {
    const ms = timeMs(line.time);
    if (Number.isNaN(ms)) return true;
    if (ms < this.lastMs) return false;
    if (ms === this.lastMs) {
      if (this.atLast.has(line.text)) return false;
      this.atLast.add(line.text);
      return true;
    }
    this.lastMs = ms;
    this.atLast = new Set([line.text]);
    return true;
  }
}
