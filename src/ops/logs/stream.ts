/** Reading one replica container's log stream into entries, with the app token renewed on a 401. */
import { LogStreamError, logStreamLines } from '../../azure/containerapp-logs.js';
import type { LogEntry } from '../../ui/log-lines.js';
import { parseStreamLine, shown, toEntry, type SeenLines } from './lines.js';
import type { StreamTarget } from './targets.js';

/** The app's log-stream token, asked for once and again when it nears expiry or a stream refuses it. */
export class AppToken {
  private current: Promise<{ token: string; expires: Date | undefined }> | undefined;

  constructor(private readonly issue: () => Promise<{ token: string; expires: Date | undefined }>) {}

  async get(): Promise<string> {
    if (this.current) {
      const { expires } = await this.current.catch(() => ({ expires: new Date(0) }));
      if (expires && expires.getTime() - Date.now() < 5 * 60_000) this.current = undefined;
    }
    this.current ??= this.issue();
    const current = this.current;
    try {
      return (await current).token;
    } catch (error) {
      if (this.current === current) this.current = undefined;
      throw error;
    }
  }

  invalidate(): void {
    this.current = undefined;
  }
}

export interface ReadOptions {
  token: AppToken;
  follow: boolean;
  tailLines: number;
  all: boolean;
  signal: AbortSignal;
  seen: SeenLines;
  onEntry(entry: LogEntry): void;
  onConnected?(text: string): void;
}

/** Resolves when the stream ends (or `signal` aborts); rejects with LogStreamError or a network error. */
export async function readLogStream(target: StreamTarget, options: ReadOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const token = await options.token.get();
      for await (const raw of logStreamLines(target, { token, follow: options.follow, tailLines: options.tailLines, signal: options.signal })) {
        const line = parseStreamLine(raw);
        if (line.kind === 'connected') {
          options.onConnected?.(line.text);
          continue;
        }
        if (!options.seen.admit(line)) continue;
        const entry = toEntry(target.replica, target.revision, line);
        if (shown(entry, options.all)) options.onEntry(entry);
      }
      return;
    } catch (error) {
      if (options.signal.aborted) return;
      if (error instanceof LogStreamError && error.status === 401 && attempt === 1) {
        options.token.invalidate();
        continue;
      }
      throw error;
    }
  }
}

/** One line about why a stream failed, without the token. */
export function describeStreamError(error: unknown): string {
  if (error instanceof LogStreamError) return error.message;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
