/**
 * What one attempt taught, recorded once its outcome is known: counts, quota, circuits and cooldowns
 * go to the backend's state, the `Proxying to` line to the log. A failed-over attempt's error body is
 * read (bounded) for the backend's "retry after N seconds".
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Attempt } from './attempt.js';
import type { Balancer } from './balancer.js';
import { headerInteger } from './http-headers.js';
import { decide, outcomeLabel } from './retry-decision.js';
import type { RemainingQuota } from './state.js';
import { cooldownFromSignals } from './throttle-signals.js';

const maxErrorBodyBytes = 64 * 1024;
/** An error body is read for its throttle signals for at most this long: a trickling one must not hold the failover. */
const maxErrorBodyMs = 1000;

/** Records what the attempt taught us; returns the response when it goes to the client. */
export async function settleAttempt(balancer: Balancer, attempt: Attempt, requestId: string): Promise<Dispatcher.ResponseData | undefined> {
  const { backend, outcome, response } = attempt;
  const { deployment } = attempt.request;
  const now = balancer.now();
  const elapsedMs = now - attempt.startedAt;
  backend.recordOutcome(deployment, outcome, response && remainingQuota(response.headers), now, attempt.startedAt);
  if (response) balancer.metrics.observeUpstreamLatency(backend.id, elapsedMs / 1000);
  const verdict = decide(outcome);
  const logFields = { backend: backend.id, deployment, status: outcomeLabel(outcome), ms: Math.round(elapsedMs), request: requestId };
  if (verdict.action === 'deliver') {
    backend.recordSuccess(deployment);
    balancer.logger.log('info', `Proxying to ${loggableUrl(attempt.url)}`, logFields);
    return response;
  }

  const errorBody = response ? await readErrorBody(response.body, maxErrorBodyBytes, Math.min(maxErrorBodyMs, balancer.config.httpTimeoutMs)) : undefined;
  const signal = response ? cooldownFromSignals(response.headers, errorBody, now) : undefined;
  const cooldownMs =
    verdict.mark === 'throttled'
      ? backend.recordThrottled(deployment, signal?.ms, now, balancer.config)
      : backend.recordFailure(deployment, verdict.scope, signal?.ms, now, balancer.config);
  balancer.logger.log('warn', `Proxying to ${loggableUrl(attempt.url)}`, {
    ...logFields,
    cooldown_s: (cooldownMs / 1000).toFixed(1),
    cooldown_from: signal?.source ?? 'default',
    error: attempt.error === undefined ? undefined : describeError(attempt.error),
  });
  return undefined;
}

export function remainingQuota(headers: Record<string, string | string[] | undefined>): RemainingQuota {
  return {
    tokens: headerInteger(headers['x-ratelimit-remaining-tokens']),
    requests: headerInteger(headers['x-ratelimit-remaining-requests']),
  };
}

/**
 * The start of an error body, for its "retry after N seconds" text: bounded in size and in time. A body
 * cut short is destroyed; undefined when nothing came before the cut.
 */
export function readErrorBody(body: Readable, maxBytes: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (complete: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      body.off('data', onData);
      if (!complete) body.destroy();
      resolve(size === 0 && !complete ? undefined : Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) finish(false);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    body.on('data', onData);
    body.once('end', () => finish(true));
    body.once('error', () => finish(false));
  });
}

/** Azure OpenAI's api-version values: a date, optionally -preview, or a named channel. */
const apiVersionPattern = /^(\d{4}-\d{2}-\d{2}(-preview)?|v1|latest|preview)$/;

/** Origin, path and a well-formed api-version only: nothing else a client put in the query goes into a log. */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const apiVersion = new URLSearchParams(url.slice(queryStart)).get('api-version');
  if (apiVersion === null) return url.slice(0, queryStart);
  return `${url.slice(0, queryStart)}?api-version=${apiVersionPattern.test(apiVersion) ? apiVersion : '(invalid)'}`;
}

export function describeError(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message}` : message;
}
