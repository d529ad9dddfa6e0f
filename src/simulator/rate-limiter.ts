/**
 * The quota windows of one Standard deployment (aoai-data-plane.md §1.3), with an injectable clock.
 *
 * - Tokens: a rolling 60 s window. Each admitted request is charged its estimate when admitted, and that
 *   amount comes back exactly 60 s later (per entry, not all at once).
 * - Requests: a rolling 10 s window with budget RPM/6 (RPM = TPM/1000 × rpmPer1000Tpm), at least 1.
 * - A request is refused if its estimate would take the token window over TPM, or if the request window is
 *   full. Refused requests cost nothing.
 * - A request whose estimate alone exceeds TPM can never fit: it is refused too (AOAI's behaviour is
 *   undocumented; refusing is the conservative choice, see aoai-data-plane.md §7). Its retry-after is the time
 *   until the token window is empty, or a whole window if it is empty already.
 *
 * Both windows are divided by `timeScale` (timeScale 60 → a 1 s token window).
 */

import { performance } from 'node:perf_hooks';

export type Clock = () => number;

export type LimitReason = 'tokens' | 'requests';

export interface LimiterSnapshot {
  /** Tokens left in the window (TPM minus what is charged). */
  remainingTokens: number;
  /** Requests left in the 10 s window. */
  remainingRequests: number;
  limitTokens: number;
  limitRequests: number;
}

export type AdmitResult =
  ({ admitted: true } & LimiterSnapshot) | ({ admitted: false; reason: LimitReason; retryAfterMs: number; oversized: boolean } & LimiterSnapshot);

interface Entry {
  at: number;
  cost: number;
}

export const TOKEN_WINDOW_MS = 60_000;
export const REQUEST_WINDOW_MS = 10_000;
export const DEFAULT_RPM_PER_1000_TPM = 6;

/** Request budget per 10 s window: floor(RPM / 6), at least 1. */
export function requestBudget(tpm: number, rpmPer1000Tpm = DEFAULT_RPM_PER_1000_TPM): number {
  const rpm = (tpm / 1000) * rpmPer1000Tpm;
  return Math.max(1, Math.floor(rpm / 6 + 1e-9));
}

export class RateLimiter {
  private tokenEntries: Entry[] = [];
  private requestEntries: number[] = [];
  private tokensInWindow = 0;
  private readonly tokenWindowMs: number;
  private readonly requestWindowMs: number;

  constructor(
    private tpm: number,
    private rpmPer1000Tpm: number = DEFAULT_RPM_PER_1000_TPM,
    private readonly now: Clock = () => performance.now(),
    timeScale = 1,
  ) {
    this.tokenWindowMs = TOKEN_WINDOW_MS / timeScale;
    this.requestWindowMs = REQUEST_WINDOW_MS / timeScale;
  }

  get limitTokens(): number {
    return this.tpm;
  }

  get limitRequests(): number {
    return requestBudget(this.tpm, this.rpmPer1000Tpm);
  }

  /** Changes the limits; what is already charged stays charged until it expires. */
  setLimits(tpm: number, rpmPer1000Tpm = this.rpmPer1000Tpm): void {
    this.tpm = tpm;
    this.rpmPer1000Tpm = rpmPer1000Tpm;
  }

  /** Empties both windows. */
  clear(): void {
    this.tokenEntries = [];
    this.requestEntries = [];
    this.tokensInWindow = 0;
  }

  private expire(now: number): void {
    while (this.tokenEntries.length > 0 && this.tokenEntries[0]!.at + this.tokenWindowMs <= now) {
      this.tokensInWindow -= this.tokenEntries.shift()!.cost;
    }
    while (this.requestEntries.length > 0 && this.requestEntries[0]! + this.requestWindowMs <= now) {
      this.requestEntries.shift();
    }
  }

  private snapshot(): LimiterSnapshot {
    const limitRequests = this.limitRequests;
    return {
      remainingTokens: Math.max(0, this.tpm - this.tokensInWindow),
      remainingRequests: Math.max(0, limitRequests - this.requestEntries.length),
      limitTokens: this.tpm,
      limitRequests,
    };
  }

  /** The current remaining/limit values, after expiring old entries. */
  peek(): LimiterSnapshot {
    this.expire(this.now());
    return this.snapshot();
  }

  /** Milliseconds until enough tokens come back for `cost`; 0 if it fits now. */
  private tokenWait(cost: number, now: number): number {
    if (cost > this.tpm) {
      const last = this.tokenEntries.at(-1);
      return last === undefined ? this.tokenWindowMs : last.at + this.tokenWindowMs - now;
    }
    let used = this.tokensInWindow;
    if (used + cost <= this.tpm) return 0;
    for (const entry of this.tokenEntries) {
      used -= entry.cost;
      if (used + cost <= this.tpm) return entry.at + this.tokenWindowMs - now;
    }
    return this.tokenWindowMs; // unreachable: an empty window fits any cost ≤ tpm
  }

  /** Milliseconds until a request slot comes back; 0 if one is free now. */
  private requestWait(now: number): number {
    const budget = this.limitRequests;
    const count = this.requestEntries.length;
    if (count < budget) return 0;
    return this.requestEntries[count - budget]! + this.requestWindowMs - now;
  }

  /** Admits (and charges) the request, or says why not and for how long. */
  tryAdmit(cost: number): AdmitResult {
    const now = this.now();
    this.expire(now);
    const tokenWait = this.tokenWait(cost, now);
    const requestWait = this.requestWait(now);
    if (tokenWait === 0 && requestWait === 0) {
      this.tokenEntries.push({ at: now, cost });
      this.tokensInWindow += cost;
      this.requestEntries.push(now);
      return { admitted: true, ...this.snapshot() };
    }
    // Both can block; report the one that lasts longer (its retry-after is the one that works).
    const reason: LimitReason = tokenWait >= requestWait ? 'tokens' : 'requests';
    return {
      admitted: false,
      reason,
      retryAfterMs: Math.max(tokenWait, requestWait),
      oversized: cost > this.tpm,
      ...this.snapshot(),
    };
  }
}
