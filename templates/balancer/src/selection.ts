/**
 * Which backend takes the next attempt: the best priority group that has an available backend, then
 * the most headroom known from x-ratelimit-remaining-* headers, random among equals or when unknown.
 */
import type { BackendState } from './state.js';

export function selectBackend(
  backends: readonly BackendState[],
  deployment: string,
  tried: ReadonlySet<BackendState>,
  now: number,
  random: () => number = Math.random,
): BackendState | undefined {
  let bestPriority = Infinity;
  let bestHeadroom = -Infinity;
  let best: BackendState[] = [];
  for (const backend of backends) {
    if (tried.has(backend) || backend.readyAt(deployment, now) > now) continue;
    const priority = backend.config.priority;
    if (priority > bestPriority) continue;
    const headroom = backend.deployment(deployment).headroom(now);
    if (priority < bestPriority) {
      bestPriority = priority;
      bestHeadroom = headroom;
      best = [backend];
    } else if (headroom > bestHeadroom) {
      bestHeadroom = headroom;
      best = [backend];
    } else if (headroom === bestHeadroom) {
      best.push(backend);
    }
  }
  if (best.length <= 1) return best[0];
  return best[Math.floor(random() * best.length)];
}

export interface Exhaustion {
  /** 429 when some backend is only throttled or out of requests for now (it will recover at a known time), 503 when all are broken. */
  status: 429 | 503;
  /** Time until the soonest backend can take this deployment again. */
  retryAfterMs: number;
}

/** Why no backend can take the request now, and for how long. */
export function exhaustion(backends: readonly BackendState[], deployment: string, now: number): Exhaustion {
  let soonest = Infinity;
  let anyThrottled = false;
  for (const backend of backends) {
    const state = backend.deployment(deployment);
    const throttled = (state.throttledUntil > now || state.requestsFreeAt(now) > now) && backend.brokenUntil <= now;
    if (throttled) anyThrottled = true;
    soonest = Math.min(soonest, backend.readyAt(deployment, now));
  }
  const retryAfterMs = Number.isFinite(soonest) ? Math.max(0, soonest - now) : 0;
  return { status: anyThrottled ? 429 : 503, retryAfterMs };
}
