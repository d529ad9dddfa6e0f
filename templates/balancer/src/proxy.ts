/**
 * One client request through the balancer: read and keep the body, pick a backend, send, and on a
 * 429, a 5xx, a connection error or a timeout before response headers, send the same bytes to the next
 * backend at once — at most one attempt per backend, never once response bytes reached the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, sendAzureError } from './azure-errors.js';
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

export async function proxyRequest(balancer: Balancer, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const { config } = balancer;
  const body = await readBody(req, res, config.maxBodyBytes);
  if (body === undefined) return;

  const rawUrl = req.url ?? '/';
  if (!rawUrl.startsWith('/')) {
    sendAzureError(res, errors.badRequest('The request target must be a path such as /openai/deployments/{deployment}/chat/completions.'));
    return;
  }
  const route = parseRoute(rawUrl);
  const facts = inspectBody(body, req.headers['content-type']);
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

  const errorBody = response ? await readErrorBody(response) : undefined;
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

function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    refuseTooLarge(req, res, limit);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        refuseTooLarge(req, res, limit);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (size <= limit) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    // The client went away while sending: nothing to answer.
    req.on('error', () => resolve(undefined));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  res.setHeader('connection', 'close');
  sendAzureError(res, errors.bodyTooLarge(limit));
  req.resume();
}

async function readErrorBody(response: Dispatcher.ResponseData): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (size < maxErrorBodyBytes) chunks.push(chunk);
      size += chunk.length;
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
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
