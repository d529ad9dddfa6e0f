/** What bench/peers.ts needs of a contender: start it in front of some backends, aim requests at it, stop it. */
import type { Target } from '../load-types.js';
import { REQUEST_WINDOW_MS } from '../../src/simulator/rate-limiter.js';

export interface Backend {
  url: string;
  apiKey: string;
}

export interface StartOptions {
  backends: Backend[];
  /** The Azure deployment name every backend serves. */
  deployment: string;
  /** Longest wait for an upstream's headers (and between body chunks) before giving up on it; the same for every contender. */
  upstreamTimeoutMs: number;
  /** The simulators' time scale: a proxy's own real-time cool-downs are divided by it so that they match simulated time. */
  timeScale: number;
}

export interface Running {
  /** Processes whose resident memory counts (nginx: master and workers); empty for direct. */
  pids(): number[];
  /**
   * Where a client sends a chat completion: one target for a proxy; for direct, one per backend (the client
   * spreads its requests evenly over them itself).
   */
  targets(body: string): Target[];
  /** Optional: what the contender says about itself after a quota run (counters per replica), for the report. */
  inspect?(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface Contender {
  name: string;
  /** Version string for the report. */
  version(): string;
  /** One line: how it is configured. */
  describe: string;
  start(options: StartOptions): Promise<Running>;
}

export const apiVersion = '2024-10-21';

export function azurePath(deployment: string): string {
  return `/openai/deployments/${deployment}/chat/completions?api-version=${apiVersion}`;
}

/** The simulators' request window (Azure's 10 s divided by the time scale), as the balancer's REQUEST_WINDOW_SECONDS. */
export function requestWindowSeconds(timeScale: number): string {
  return String(REQUEST_WINDOW_MS / 1000 / timeScale);
}
