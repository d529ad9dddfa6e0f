/**
 * What to do with one upstream attempt's outcome: pass the response on, or try another backend and
 * mark this one. Pure, so every rule is unit-tested.
 */

export type AttemptOutcome =
  | { kind: 'response'; status: number }
  | { kind: 'connection-error' }
  | { kind: 'timeout' };

export type Verdict =
  /** Give the response to the client. */
  | { action: 'deliver' }
  /** The deployment on this backend is throttled: cool it down and try another backend. */
  | { action: 'failover'; mark: 'throttled' }
  /** The backend (or its deployment) is failing: open its circuit and try another backend. */
  | { action: 'failover'; mark: 'broken'; scope: 'deployment' | 'backend' };

export function decide(outcome: AttemptOutcome): Verdict {
  switch (outcome.kind) {
    case 'response':
      if (outcome.status === 429) return { action: 'failover', mark: 'throttled' };
      if (outcome.status >= 500) return { action: 'failover', mark: 'broken', scope: 'deployment' };
      return { action: 'deliver' };
    case 'connection-error':
    case 'timeout':
      return { action: 'failover', mark: 'broken', scope: 'backend' };
  }
}

/** Exponential back-off for an open circuit: base, 2×base, 4×base … capped. */
export function circuitBackoffMs(consecutiveFailures: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.min(consecutiveFailures - 1, 30));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
