/**
 * One client request through the balancer: read and keep the body, pick a backend, send, and on a
 * 429, a 5xx, a connection error or a timeout before response headers, send the same bytes to the next
 * backend at once — at most one attempt per backend, never once response bytes reached the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Upstream } from './attempt.js';
import { errors, sendAzureError } from './azure-errors.js';
import { readClientBody, refuseEarly } from './client-body.js';
import type { Balancer } from './balancer.js';
import { ClientGone } from './client-gone.js';
import { inspectBody } from './request-body.js';
import { parseRoute } from './routes.js';
import { exhaustion, selectBackend } from './selection.js';
import { settleAttempt } from './settle.js';
import type { BackendState } from './state.js';
import { streamResponse } from './stream-response.js';

/**
 * When every backend is throttled or out of requests and the soonest comes back within this share of the
 * request window (1 s of 10), the request waits for it, once, instead of getting a 429: the balancer knows
 * the moment, and a client's retry would cost it a round trip and its SDK's back-off.
 */
const shortWaitShare = 0.1;

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
  const upstream = new Upstream(balancer, { req, route, body, model: facts.model, deployment, estimatedTokens: facts.estimatedTokens, clientGone });

  const tried = new Set<BackendState>();
  let waited = false;
  for (;;) {
    const now = balancer.now();
    const backend = selectBackend(balancer.backends, deployment, tried, now, balancer.random);
    if (!backend) {
      const untried = waited ? [] : balancer.backends.filter((candidate) => !tried.has(candidate));
      const soon = untried.length > 0 ? exhaustion(untried, deployment, now) : undefined;
      if (soon?.status === 429 && soon.retryAfterMs <= config.requestWindowMs * shortWaitShare) {
        waited = true;
        balancer.waiting++;
        await clientGone.wait(Math.ceil(soon.retryAfterMs) + 1);
        balancer.waiting--;
        if (clientGone.aborted) return;
        continue;
      }
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
    const attempt = await upstream.send(backend);
    if (clientGone.aborted) {
      attempt.response?.body.destroy();
      return;
    }
    const delivered = await settleAttempt(balancer, attempt, requestId);
    if (delivered) {
      await streamResponse(balancer, backend, deployment, delivered, res, clientGone);
      return;
    }
  }
}
