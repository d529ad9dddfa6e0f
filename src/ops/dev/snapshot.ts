/** What `dev` observes each frame: the balancer's /status plus the client-side tallies; ui/dev-view.ts renders it. */
import type { BalancerStatus } from '../../../templates/balancer/dist/main.js';

/** Client responses the balancer sent, by class (its /status has no totals). */
export interface ClientTotals {
  requests: number;
  succeeded: number;
  /** 429s that reached a client: every backend was throttled for that deployment. */
  throttled: number;
  /** Any other non-2xx answer (401, 4xx, 5xx). */
  failed: number;
}

/** What the built-in traffic generator did; present only with --demo-load. */
export interface DemoLoadStats {
  rps: number;
  sent: number;
  inFlight: number;
  /** Requests not sent: too many were still open, or the process stalled past a tick (no catch-up burst). */
  skipped: number;
}

export interface DevSnapshot {
  url: string;
  status: BalancerStatus;
  totals: ClientTotals;
  /** TPM limit per backend id, then deployment (simulated backends only). */
  limits?: Record<string, Record<string, number>>;
  /** Deployments to list for every backend even before traffic reached them. */
  deployments?: string[];
  demoLoad?: DemoLoadStats;
  /** How much faster than real time the simulated quota windows run (simulated backends only). */
  timeScale?: number;
}
