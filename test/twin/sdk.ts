// How a test points the REAL Azure SDK clients at the twin, in-process: the documented client options
// only (endpoint, credentialScopes, an https Agent that trusts the twin's CA). Nothing in the SDK is
// patched. A child process uses NODE_EXTRA_CA_CERTS=<twin.caPath> instead (docs/twin.md).
import { Agent, request } from 'node:https';
import type { Twin } from './server.js';

export const staticCredential = {
  getToken: async () => ({ token: 'twin-static-token', expiresOnTimestamp: Date.now() + 3600e3 }),
};

export function sdkOptions(twin: Pick<Twin, 'url' | 'ca'>) {
  return {
    endpoint: twin.url,
    $host: twin.url,
    credentialScopes: ['https://management.azure.com/.default'],
    agent: new Agent({ ca: twin.ca }),
    retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 50 },
  };
}

/** Poll quickly where the twin sends no Retry-After. */
export const fastPoll = { updateIntervalInMs: 5 } as const;

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

/** A bare HTTPS request to the twin (for what the SDK hides: headers, exact bodies, missing auth). */
export function rawRequest(
  twin: Pick<Twin, 'url' | 'ca'>,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<RawResponse> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...(options.auth === false ? {} : { Authorization: 'Bearer raw' }), ...options.headers };
  if (payload) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, twin.url), { method, headers, ca: twin.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
