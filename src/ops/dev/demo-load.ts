/**
 * `dev --demo-load`: steady chat traffic through the balancer, so its view shows 429s being absorbed
 * and failover with no app attached. A fixed rate with a bound on open requests (and no burst after the
 * process stalls); stop() aborts what is still open and resolves once every request has settled.
 */
import type { DemoLoadStats } from './snapshot.js';

export interface DemoLoadOptions {
  /** The balancer, e.g. http://127.0.0.1:8080 */
  url: string;
  clientKey: string;
  rps: number;
  deployment?: string;
  /** max_tokens of each request: what the quota is charged per request. */
  maxTokens?: number;
  /** Most requests open at once; requests beyond it (or missed while the process stalled) are skipped and counted. */
  maxInFlight?: number;
}

export interface DemoLoad {
  stats(): DemoLoadStats;
  stop(): Promise<void>;
}

/** max_tokens per demo request; with 30K TPM a backend takes 150 of them a minute. */
export const DEMO_MAX_TOKENS = 200;

/**
 * The time scale of `dev --demo-load` when --time-scale is not given: a quota window of 6 s instead of
 * 60, so the first failover shows within seconds rather than minutes (stated on screen).
 */
export const DEMO_TIME_SCALE = 10;

/**
 * The default rate: the backends' combined token quota, and at least 1.5× one backend's. At that rate
 * each backend's window fills during the first window, so from then on a backend runs out now and then,
 * answers 429, and the balancer fails the request over to one with room; clients still see about 1 %
 * 429s (when every backend is full at once). Below it (85 % was tried) quota-aware selection keeps
 * every backend under its limit and the first failover takes 12–90 s. `tpm` in tokens; `timeScale`
 * speeds the simulated windows up.
 */
export function defaultDemoRps(backends: number, tpm: number, timeScale: number, maxTokens = DEMO_MAX_TOKENS): number {
  const perBackend = (tpm / maxTokens / 60) * timeScale;
  return Math.max(0.1, Math.round(perBackend * Math.max(1.5, backends) * 10) / 10);
}

const tickMs = 50;

export function startDemoLoad(options: DemoLoadOptions): DemoLoad {
  const deployment = options.deployment ?? 'chat';
  const maxInFlight = options.maxInFlight ?? Math.min(64, Math.max(8, Math.ceil(options.rps)));
  const endpoint = `${options.url}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?api-version=2024-10-21`;
  const body = JSON.stringify({
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Summarise why a load balancer in front of several Azure OpenAI resources helps.' },
    ],
    max_tokens: options.maxTokens ?? DEMO_MAX_TOKENS,
  });
  const abort = new AbortController();
  const open = new Set<Promise<void>>();
  const startedAt = performance.now();
  let due = 0;
  let sent = 0;
  let skipped = 0;

  const send = (): void => {
    sent++;
    const request = fetch(endpoint, {
      method: 'POST',
      headers: { 'api-key': options.clientKey, 'content-type': 'application/json' },
      body,
      signal: abort.signal,
    })
      .then((response) => response.arrayBuffer())
      .then(
        () => undefined,
        () => undefined, // aborted on stop, or the balancer went away: the view shows the balancer's side
      )
      .finally(() => open.delete(request));
    open.add(request);
  };

  // A late tick sends at most two ticks' share: after a stall the rate goes on, rather than a burst that
  // would make the balancer look worse than it is; what the stall missed is counted as skipped.
  const mostPerTick = 2 * Math.max(1, Math.ceil((options.rps * tickMs) / 1000));
  const timer = setInterval(() => {
    const target = Math.floor(((performance.now() - startedAt) / 1000) * options.rps);
    const missed = target - due - mostPerTick;
    if (missed > 0) {
      skipped += missed;
      due += missed;
    }
    for (; due < target; due++) {
      if (open.size < maxInFlight) send();
      else skipped++;
    }
  }, tickMs);

  let stopping: Promise<void> | undefined;
  return {
    stats: () => ({ rps: options.rps, sent, inFlight: open.size, skipped }),
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        abort.abort();
        await Promise.allSettled([...open]);
      })();
      return stopping;
    },
  };
}
