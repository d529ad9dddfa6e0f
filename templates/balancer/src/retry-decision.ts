/**
 * What to do with one upstream attempt's outcome: pass the response on, or try another backend and
 * mark this one; and how long the mark lasts. Pure, so every rule is unit-tested.
 */

export type AttemptOutcome = { kind: 'response'; status: number } | { kind: 'connection-error' } | { kind: 'timeout' };

/** A 5xx concerns the deployment on that backend; a connection error or timeout, the whole backend. */
export type FailureScope = 'deployment' | 'backend';

export type Verdict =
  /** Give the response to the client. */
  | { action: 'deliver' }
  /** The deployment on this backend is throttled: cool it down and try another backend. */
  | { action: 'failover'; mark: 'throttled' }
  /** The backend (or its deployment) is failing: open its circuit and try another backend. */
  | { action: 'failover'; mark: 'broken'; scope: FailureScope };

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

/** The outcome as counted in /status and /metrics and logged: an HTTP status, 'connection_error' or 'timeout'. */
export function outcomeLabel(outcome: AttemptOutcome): string {
  return outcome.kind === 'response' ? String(outcome.status) : outcome.kind.replace('-', '_');
}

/** The configured cooldowns (the balancer's configuration is one). */
export interface CooldownPolicy {
  /** A 429 without a usable signal rests this long. */
  defaultCooldownMs: number;
  /** The first open-circuit back-off; it doubles with each consecutive failure. */
  circuitBaseMs: number;
  /** No cooldown, asked for or computed, lasts longer. */
  maxCooldownMs: number;
}

/** A 429's cooldown: what the backend asked for (its throttle signal), else the default; capped. */
export function throttleCooldownMs(askedMs: number | undefined, policy: CooldownPolicy): number {
  return Math.min(askedMs ?? policy.defaultCooldownMs, policy.maxCooldownMs);
}

/** An open circuit's cooldown: what the backend asked for, else the back-off for this many consecutive failures; capped. */
export function circuitCooldownMs(askedMs: number | undefined, consecutiveFailures: number, policy: CooldownPolicy): number {
  return Math.min(askedMs ?? circuitBackoffMs(consecutiveFailures, policy.circuitBaseMs, policy.maxCooldownMs), policy.maxCooldownMs);
}

/** Exponential back-off for an open circuit: base, 2×base, 4×base … capped. */
export function circuitBackoffMs(consecutiveFailures: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.min(consecutiveFailures - 1, 30));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
