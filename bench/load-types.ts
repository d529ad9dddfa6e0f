/** The jobs the load-generator process runs, and what it answers (shared by load.ts and load-client.ts). */

export interface Target {
  /** e.g. http://127.0.0.1:8080 */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Open loop: requests leave on a fixed schedule, whatever the answers do (no coordinated omission). */
export interface OpenJob extends Target {
  kind: 'open';
  /** Requests per second offered. */
  rate: number;
  durationMs: number;
  /** uniform: one every 1/rate s; poisson: exponential gaps with mean 1/rate s (seeded). */
  arrivals: 'uniform' | 'poisson';
  seed?: number;
  /** Connections the client pool may open. */
  connections: number;
}

export interface OpenResult {
  scheduled: number;
  completed: number;
  errors: number;
  firstErrors: string[];
  statuses: Record<string, number>;
  /** Per completed request, ms: end of body − intended send time (what a user would see). */
  fromIntended: number[];
  /** Per completed request, ms: end of body − actual send time. */
  service: number[];
  /** Per completed request, ms: first body byte − intended send time. */
  firstByteFromIntended: number[];
  /** Per completed request, ms: first body byte − actual send time. */
  firstByteService: number[];
  /** How late the generator sent, ms (actual − intended): its own timer jitter. */
  sendLateness: number[];
  elapsedMs: number;
}

/** Closed loop: `connections` workers, each sending its next request as soon as the last one ended. */
export interface ClosedJob extends Target {
  kind: 'closed';
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface ClosedResult {
  completed: number;
  requestsPerSecond: number;
  errors: number;
  firstErrors: string[];
  statuses: Record<string, number>;
  latency: { p50: number; p99: number };
}

/** Opens `streams` streaming requests at once and keeps them open until the server ends them. */
export interface HoldJob extends Target {
  kind: 'hold';
  streams: number;
  /** Streams opened together before waiting for their first bytes. */
  batch: number;
}

export interface HoldProgress {
  opened: number;
  failed: number;
}

export interface HoldResult {
  opened: number;
  completed: number;
  errors: number;
  firstErrors: string[];
  bytes: number;
}

export type Job = OpenJob | ClosedJob | HoldJob;

export type ResultOf<J extends Job> = J extends OpenJob ? OpenResult : J extends ClosedJob ? ClosedResult : HoldResult;

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; id: number; data: HoldProgress }
  | { type: 'result'; id: number; data: OpenResult | ClosedResult | HoldResult }
  | { type: 'error'; id: number; message: string };

export interface JobMessage {
  id: number;
  job: Job;
}
