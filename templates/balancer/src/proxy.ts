/**
 * One client request through the balancer: read and keep the body, pick a backend, send, and on a
 * 429, a 5xx, a connection error or a timeout before response headers, send the same bytes to the next
 * backend at once — at most one attempt per backend, never once response bytes reached the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, sendAzureError } from './azure-errors.js';
import { readClientBody, refuseEarly } from './client-body.js';
import type { Balancer } from './balancer.js';
import { headerInteger, upstreamHeaders } from './http-headers.js';
import { inspectBody, withModel } from './request-body.js';
import { circuitBackoffMs, decide, type AttemptOutcome } from './retry-decision.js';
import { parseRoute, upstreamPath, type Route } from './routes.js';
import { exhaustion, selectBackend } from './selection.js';
import type { BackendState } from './state.js';
import { streamResponse } from './stream-response.js';
import { cooldownFromSignals } from './throttle-signals.js';
import { ClientGone } from './client-gone.js';
import type { Dispatcher } from 'undici';

const maxErrorBodyBytes = 64 * 1024;
/** An error body is read for its throttle signals for at most this long: a trickling one must not hold the failover. */
const maxErrorBodyMs = 1000;

/** The methods the Azure OpenAI API uses; anything else (TRACE, PROPFIND, CONNECT …) never reaches a backend with its key. */
const forwardedMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export async function proxyRequest(balancer: Balancer, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const { config } = balancer;
  const method = req.method ?? 'GET';
  if (!forwardedMethods.has(method)) {
    refuseEarly(req, res, errors.methodNotAllowed([...forwardedMethods].join(', ')));
    return;
  }
  const rawUrl = req.url ?? '/';
  // A backslash is no URI character (RFC 3986); a backend or gateway that reads it as "/" could be led out of its prefix.
  const route = rawUrl.startsWith('/') && !rawUrl.includes('\\') ? parseRoute(rawUrl) : undefined;
  if (!route) {
    const problem = !rawUrl.startsWith('/')
      ? 'must be a path such as /openai/deployments/{deployment}/chat/completions'
      : rawUrl.includes('\\')
        ? 'must not contain a backslash'
        : 'must not climb above the root with ".." segments';
    refuseEarly(req, res, errors.badRequest(`The request target ${problem}.`));
    return;
  }
  const body = await readClientBody(req, res, { maxBytes: config.maxBodyBytes, idleTimeoutMs: config.clientBodyTimeoutMs });
  if (body === undefined) return;
  // v1 routes name the deployment only in the body, so it is read whatever its size.
  const facts = inspectBody(body, req.headers['content-type'], { anySize: route.style === 'v1' });
  if (facts.invalidJson !== undefined) {
    sendAzureError(res, errors.badRequest(`The request body is not valid JSON (${facts.invalidJson}).`));
    return;
  }
  const deployment = route.pathDeployment ?? facts.model ?? '';
  const clientGone = new ClientGone();
  res.on('close', () => {
    if (!res.writableFinished) clientGone.abort();
  });

  const tried = new Set<BackendState>();
  for (;;) {
    const now = balancer.now();
    const backend = selectBackend(balancer.backends, deployment, tried, now, balancer.random);
    if (!backend) {
      const { status, retryAfterMs } = exhaustion(balancer.backends, deployment, now);
      balancer.logger.log('warn', `No backend available for ${deployment || 'this request'}`, {
        status,
        retry_after_ms: Math.ceil(retryAfterMs),
        tried: tried.size,
        request: requestId,
      });
      sendAzureError(res, errors.exhausted(status, deployment, retryAfterMs));
      return;
    }
    tried.add(backend);
    const attempt = await sendAttempt(balancer, backend, req, route, body, facts.model, deployment, facts.estimatedTokens, clientGone);
    if (clientGone.aborted) {
      attempt.response?.body.destroy();
      return;
    }
    const delivered = await settleAttempt(balancer, backend, deployment, attempt, requestId);
    if (delivered) {
      await streamResponse(balancer, backend, deployment, delivered, res, clientGone);
      return;
    }
  }
}

interface Attempt {
  outcome: AttemptOutcome;
  response: Dispatcher.ResponseData | undefined;
  url: string;
  startedAt: number;
  error?: unknown;
}

async function sendAttempt(
  balancer: Balancer,
  backend: BackendState,
  req: IncomingMessage,
  route: Route,
  body: Buffer,
  model: string | undefined,
  deployment: string,
  estimatedTokens: number,
  signal: ClientGone,
): Promise<Attempt> {
  const { url: backendUrl, apiKey, deploymentName } = backend.config;
  const path = upstreamPath(route, backendUrl.pathname, deploymentName);
  const url = `${backendUrl.origin}${path}`;
  const startedAt = balancer.now();
  backend.deployment(deployment).reserve(estimatedTokens);
  try {
    const auth = apiKey !== undefined ? { apiKey } : { bearer: await balancer.backendToken() };
    const payload = deploymentName !== undefined && route.style !== 'deployment' && model !== undefined ? withModel(body, deploymentName) : body;
    const response = await balancer.dispatcher.request({
      origin: backendUrl.origin,
      path,
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: upstreamHeaders(req, auth, payload.length),
      body: payload.length > 0 ? payload : undefined,
      signal,
      headersTimeout: balancer.config.httpTimeoutMs,
      bodyTimeout: balancer.config.httpTimeoutMs,
    });
    return { outcome: { kind: 'response', status: response.statusCode }, response, url, startedAt };
  } catch (error) {
    return { outcome: { kind: isTimeout(error) ? 'timeout' : 'connection-error' }, response: undefined, url, startedAt, error };
  } finally {
    backend.deployment(deployment).answered();
  }
}

/** Records what the attempt taught us; returns the response when it goes to the client. */
async function settleAttempt(
  balancer: Balancer,
  backend: BackendState,
  deployment: string,
  attempt: Attempt,
  requestId: string,
): Promise<Dispatcher.ResponseData | undefined> {
  const now = balancer.now();
  const state = backend.deployment(deployment);
  const { outcome, response } = attempt;
  const elapsedMs = now - attempt.startedAt;
  const outcomeLabel = outcome.kind === 'response' ? String(outcome.status) : outcome.kind.replace('-', '_');
  state.countOutcome(outcomeLabel);
  if (response) {
    if (response.statusCode !== 404) backend.confirm(deployment, now);
    balancer.metrics.observeUpstreamLatency(backend.id, elapsedMs / 1000);
    state.observeRemaining(
      headerInteger(response.headers['x-ratelimit-remaining-tokens']),
      headerInteger(response.headers['x-ratelimit-remaining-requests']),
      now,
    );
  }
  const verdict = decide(outcome);
  const logFields = { backend: backend.id, deployment, status: outcomeLabel, ms: Math.round(elapsedMs), request: requestId };
  if (verdict.action === 'deliver') {
    state.recordSuccess();
    backend.recordSuccess();
    balancer.logger.log('info', `Proxying to ${loggableUrl(attempt.url)}`, logFields);
    return response;
  }

  const errorBody = response ? await readErrorBody(response, Math.min(maxErrorBodyMs, balancer.config.httpTimeoutMs)) : undefined;
  const signal = response ? cooldownFromSignals(response.headers, errorBody, now) : undefined;
  let cooldownMs: number;
  if (verdict.mark === 'throttled') {
    state.throttled++;
    cooldownMs = signal?.ms ?? balancer.config.defaultCooldownMs;
  } else {
    state.errors++;
    const failures = verdict.scope === 'backend' ? ++backend.consecutiveFailures : ++state.consecutiveFailures;
    cooldownMs = signal?.ms ?? circuitBackoffMs(failures, balancer.config.circuitBaseMs, balancer.config.maxCooldownMs);
  }
  cooldownMs = Math.min(cooldownMs, balancer.config.maxCooldownMs);
  if (verdict.mark === 'broken' && verdict.scope === 'backend') backend.brokenUntil = Math.max(backend.brokenUntil, now + cooldownMs);
  else state.coolDown(verdict.mark, cooldownMs, now);
  state.failovers++;
  balancer.logger.log('warn', `Proxying to ${loggableUrl(attempt.url)}`, {
    ...logFields,
    cooldown_s: (cooldownMs / 1000).toFixed(1),
    cooldown_from: signal?.source ?? 'default',
    error: attempt.error === undefined ? undefined : describeError(attempt.error),
  });
  return undefined;
}

/** The start of an error body, for its "retry after N seconds" text: bounded in size and in time. */
function readErrorBody(response: Dispatcher.ResponseData, timeoutMs: number): Promise<string | undefined> {
  const body = response.body;
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
      if (size >= maxErrorBodyBytes) finish(false);
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
function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const apiVersion = new URLSearchParams(url.slice(queryStart)).get('api-version');
  if (apiVersion === null) return url.slice(0, queryStart);
  return `${url.slice(0, queryStart)}?api-version=${apiVersionPattern.test(apiVersion) ? apiVersion : '(invalid)'}`;
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT';
}

function describeError(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message}` : message;
}
