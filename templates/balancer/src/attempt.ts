/**
 * One upstream attempt: the client's request, read once, sent to one backend. Sending reserves the
 * estimate against the backend's known quota, authenticates, renames the body's model for a backend
 * with its own deployment name, and keeps what came back — a response, or the failure — for the retry
 * loop to settle. Sending never throws.
 */
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Balancer } from './balancer.js';
import type { ClientGone } from './client-gone.js';
import { upstreamHeaders } from './http-headers.js';
import { withModel } from './request-body.js';
import type { AttemptOutcome } from './retry-decision.js';
import { upstreamPath, type Route } from './routes.js';
import type { BackendState } from './state.js';

/** The client's request as every attempt sends it: built once per client request. */
export interface ClientRequest {
  req: IncomingMessage;
  route: Route;
  body: Buffer;
  /** The body's `model`, when it has one. */
  model: string | undefined;
  /** The deployment the request is for, from the path or the body ('' when neither names one). */
  deployment: string;
  estimatedTokens: number;
  /** Aborts the upstream request when the client leaves. */
  clientGone: ClientGone;
}

/** One attempt of a client request on one backend, and what came of it. */
export interface Attempt {
  readonly request: ClientRequest;
  readonly backend: BackendState;
  readonly url: string;
  readonly startedAt: number;
  readonly outcome: AttemptOutcome;
  readonly response: Dispatcher.ResponseData | undefined;
  readonly error?: unknown;
}

/** Sends a client request to backends, one attempt at a time. */
export class Upstream {
  constructor(
    private readonly balancer: Balancer,
    readonly request: ClientRequest,
  ) {}

  async send(backend: BackendState): Promise<Attempt> {
    const { balancer, request } = this;
    const { url: backendUrl, apiKey, deploymentName } = backend.config;
    const path = upstreamPath(request.route, backendUrl.pathname, deploymentName);
    const sent = { request, backend, url: `${backendUrl.origin}${path}`, startedAt: balancer.now() };
    const answered = backend.reserve(request.deployment, request.estimatedTokens, sent.startedAt);
    try {
      const auth = apiKey !== undefined ? { apiKey } : { bearer: await balancer.backendToken() };
      const renamed = deploymentName !== undefined && request.route.style !== 'deployment' && request.model !== undefined;
      const payload = renamed ? withModel(request.body, deploymentName) : request.body;
      const response = await balancer.dispatcher.request({
        origin: backendUrl.origin,
        path,
        method: (request.req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: upstreamHeaders(request.req, auth, payload.length),
        body: payload.length > 0 ? payload : undefined,
        signal: request.clientGone,
        headersTimeout: balancer.config.httpTimeoutMs,
        bodyTimeout: balancer.config.httpTimeoutMs,
      });
      return { ...sent, outcome: { kind: 'response', status: response.statusCode }, response };
    } catch (error) {
      return { ...sent, outcome: { kind: isTimeout(error) ? 'timeout' : 'connection-error' }, response: undefined, error };
    } finally {
      answered();
    }
  }
}

export function isTimeout(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT';
}
