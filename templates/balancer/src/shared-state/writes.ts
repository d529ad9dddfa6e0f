/**
 * What this replica tells the store about its deployments, gathered and written once per short interval
 * rather than per request: its in-flight totals per deployment key (a request that comes and goes within
 * one interval costs no write at all) and its newest reading. One script call per key that changed.
 * Totals, not changes, are written, so a write lost while the store was away is mended by the next one.
 */
import type { InFlight } from '../state.js';
import type { Reading } from './scripts.js';

/** Send times listed per replica and deployment: enough to tell, near a full request window, which were sent after a reading. */
export const maxListedSends = 32;

interface Totals {
  tokens: number;
  requests: number;
  /** Send times of the requests in flight, oldest first. */
  sentAt: number[];
}

interface Pending {
  inFlight: boolean;
  reading: Reading | undefined;
}

export interface WriteTarget {
  /** Whether writes can go now; while not, they wait (totals and the newest reading only) for `rejoined()`. */
  usable(): boolean;
  write(key: string, inFlight: InFlight | undefined, reading: Reading | undefined): Promise<unknown>;
  /** A write failed: the store is in trouble. */
  failed(error: unknown): void;
}

export class DeploymentWrites {
  private readonly inFlight = new Map<string, Totals>();
  private readonly pending = new Map<string, Pending>();
  /** Keys where the store may hold a non-zero total of this replica's. */
  private readonly nonZero = new Set<string>();
  /** The last write sent per key, so that an older write's answer does not undo what a newer one said. */
  private readonly lastWrite = new Map<string, number>();
  private writes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: WriteTarget,
    private readonly intervalMs: number,
  ) {}

  /** A request is sent at `sentAt`: it counts until the returned function is called. */
  reserve(key: string, tokens: number, sentAt: number): () => void {
    const total = this.inFlight.get(key) ?? { tokens: 0, requests: 0, sentAt: [] };
    total.tokens += tokens;
    total.requests++;
    total.sentAt.push(sentAt);
    this.inFlight.set(key, total);
    this.mark(key).inFlight = true;
    return () => {
      total.tokens -= tokens;
      total.requests--;
      const index = total.sentAt.indexOf(sentAt);
      if (index !== -1) total.sentAt.splice(index, 1);
      if (total.requests <= 0 && this.inFlight.get(key) === total) this.inFlight.delete(key);
      this.mark(key).inFlight = true;
    };
  }

  /** A reading taken at `reading.at`: only the newest since the last write goes. */
  observe(key: string, reading: Reading): void {
    const pending = this.mark(key);
    if (pending.reading === undefined || pending.reading.at <= reading.at) pending.reading = reading;
  }

  /** The store is back: every total it may have wrong is written again. */
  rejoined(): void {
    for (const key of new Set([...this.nonZero, ...this.inFlight.keys()])) this.mark(key).inFlight = true;
    if (this.pending.size > 0) this.schedule();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  flush(): void {
    this.timer = undefined;
    if (!this.target.usable()) return;
    for (const [key, pending] of this.pending) {
      const current = this.inFlight.get(key);
      let total: InFlight | undefined = pending.inFlight
        ? { tokens: current?.tokens ?? 0, requests: current?.requests ?? 0, sentAt: current?.sentAt.slice(-maxListedSends) ?? [] }
        : undefined;
      // Came and went since the last write, and the store holds nothing of ours: nothing to say.
      if (total !== undefined && total.requests <= 0 && !this.nonZero.has(key)) total = undefined;
      if (total === undefined && pending.reading === undefined) continue;
      if (total !== undefined && total.requests > 0) this.nonZero.add(key);
      const write = ++this.writes;
      this.lastWrite.set(key, write);
      const zero = total !== undefined && total.requests <= 0;
      this.target.write(key, total, pending.reading).then(
        () => {
          if (this.lastWrite.get(key) !== write) return;
          this.lastWrite.delete(key);
          if (zero && !this.inFlight.has(key)) this.nonZero.delete(key);
        },
        (error: unknown) => this.target.failed(error),
      );
    }
    this.pending.clear();
  }

  private mark(key: string): Pending {
    let pending = this.pending.get(key);
    if (!pending) {
      pending = { inFlight: false, reading: undefined };
      this.pending.set(key, pending);
    }
    this.schedule();
    return pending;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }
}
