/** Error responses in Azure OpenAI's shape, `{"error":{"code","message"}}`, so SDKs surface them as usual. */
import type { ServerResponse } from 'node:http';

export interface AzureError {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export function sendAzureError(res: ServerResponse, error: AzureError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  res.writeHead(error.status, {
    ...error.headers,
    // No backend answered this one; the balancer did.
    'x-aoai-lb-backend': 'none',
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export const errors = {
  unauthorized: (): AzureError => ({
    status: 401,
    code: '401',
    message:
      "Access denied due to a missing or invalid key. Send one of the load balancer's client keys (CLIENT_API_KEYS) " +
      'in the api-key header or as "Authorization: Bearer <key>".',
  }),
  tokenRequired: (): AzureError => ({
    status: 401,
    code: '401',
    message:
      'Access denied: this load balancer accepts Entra ID tokens only (CLIENT_AUTH=entra). Send "Authorization: Bearer <token>" ' +
      'for the scope https://cognitiveservices.azure.com/.default.',
    headers: { 'www-authenticate': 'Bearer' },
  }),
  invalidToken: (reason: string): AzureError => ({
    status: 401,
    code: '401',
    message: `Unauthorized. ${reason}`,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  }),
  tokenKeysUnavailable: (): AzureError => ({
    status: 503,
    code: 'ServiceUnavailable',
    message: 'The load balancer cannot check Entra ID tokens now: the signing keys could not be fetched. Please retry after 5 seconds.',
    headers: { 'retry-after': '5', 'retry-after-ms': '5000' },
  }),
  bodyTooLarge: (limit: number): AzureError => ({
    status: 413,
    code: 'RequestEntityTooLarge',
    message: `The request body is larger than the load balancer's limit of ${limit} bytes (MAX_BODY_BYTES).`,
  }),
  requestTimeout: (idleMs: number): AzureError => ({
    status: 408,
    code: 'RequestTimeout',
    message: `The request body stopped arriving: nothing for ${idleMs / 1000} seconds (CLIENT_BODY_TIMEOUT_SECONDS).`,
  }),
  expectationFailed: (expect: string): AzureError => ({
    status: 417,
    code: 'ExpectationFailed',
    message: `The load balancer cannot meet the expectation "${expect.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}"; only 100-continue is supported.`,
  }),
  badRequest: (message: string): AzureError => ({ status: 400, code: 'BadRequest', message }),
  notFound: (): AzureError => ({ status: 404, code: '404', message: 'Resource not found' }),
  methodNotAllowed: (allowed: string): AzureError => ({
    status: 405,
    code: 'MethodNotAllowed',
    message: `Only ${allowed.replace(/, ([^,]+)$/, ' or $1')} ${allowed.includes(',') ? 'are' : 'is'} supported here.`,
    headers: { allow: allowed },
  }),
  exhausted: (status: 429 | 503, deployment: string, retryAfterMs: number): AzureError => {
    const shown = clientRetryAfter(retryAfterMs);
    const target = deployment ? `deployment '${deployment}'` : 'this request';
    const message =
      status === 429
        ? `Every backend of this load balancer has exceeded its rate limit for ${target}. Please retry after ${shown.seconds} seconds.`
        : `No backend can serve ${target} now: every backend is failing. Please retry after ${shown.seconds} seconds.`;
    return {
      status,
      code: status === 429 ? 'RateLimitReached' : 'ServiceUnavailable',
      message,
      headers: {
        'retry-after-ms': String(shown.ms),
        'retry-after': String(shown.seconds),
        'x-should-retry': 'true',
      },
    };
  },
  metricsUnavailable: (reason: string): AzureError => ({
    status: 503,
    code: 'ServiceUnavailable',
    message: `The replica's metrics could not be collected from every worker: ${reason}. Scrape again.`,
  }),
  upstreamFailed: (): AzureError => ({
    status: 502,
    code: 'BadGateway',
    message: 'The backend failed while sending its response.',
  }),
};

/**
 * The wait a client is told. openai-node (v4–v6) honours retry-after-ms only when 0 < value < 60 000,
 * openai-python v1 only when 0 < value ≤ 60 s; beyond that they fall back to short back-offs, so the
 * advice is capped just under a minute and a client re-asks then.
 */
export function clientRetryAfter(ms: number): { ms: number; seconds: number } {
  const capped = Math.min(Math.max(Math.ceil(ms), 1), 59_999);
  return { ms: capped, seconds: Math.ceil(capped / 1000) };
}
