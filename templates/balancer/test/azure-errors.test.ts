import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientRetryAfter, errors, sendAzureError, type AzureError } from '../src/azure-errors.js';
import { cooldownFromSignals } from '../src/throttle-signals.js';

test('clientRetryAfter: never 0, whatever comes in', () => {
  for (const ms of [0, -1, -60_000, 0.001, 0.5]) assert.deepEqual(clientRetryAfter(ms), { ms: 1, seconds: 1 }, String(ms));
});

test('clientRetryAfter: milliseconds rounded up, seconds rounded up from them', () => {
  assert.deepEqual(clientRetryAfter(1), { ms: 1, seconds: 1 });
  assert.deepEqual(clientRetryAfter(999.2), { ms: 1000, seconds: 1 });
  assert.deepEqual(clientRetryAfter(1000), { ms: 1000, seconds: 1 });
  assert.deepEqual(clientRetryAfter(1001), { ms: 1001, seconds: 2 });
  assert.deepEqual(clientRetryAfter(3500), { ms: 3500, seconds: 4 });
  assert.deepEqual(clientRetryAfter(42_000), { ms: 42_000, seconds: 42 });
});

test('clientRetryAfter: always below 60 000 ms, so openai-node honours it', () => {
  assert.deepEqual(clientRetryAfter(59_999), { ms: 59_999, seconds: 60 });
  assert.deepEqual(clientRetryAfter(60_000), { ms: 59_999, seconds: 60 });
  assert.deepEqual(clientRetryAfter(86_400_000), { ms: 59_999, seconds: 60 });
  assert.deepEqual(clientRetryAfter(Infinity), { ms: 59_999, seconds: 60 });
});

test('exhausted 429: RateLimitReached with retry headers and the wait in the message', () => {
  const error = errors.exhausted(429, 'chat', 3500);
  assert.equal(error.status, 429);
  assert.equal(error.code, 'RateLimitReached');
  assert.match(error.message, /deployment 'chat'/);
  assert.match(error.message, /Please retry after 4 seconds\./);
  assert.deepEqual(error.headers, { 'retry-after-ms': '3500', 'retry-after': '4', 'x-should-retry': 'true' });
});

test('exhausted 503: ServiceUnavailable, same headers', () => {
  const error = errors.exhausted(503, 'embedding', 0);
  assert.equal(error.status, 503);
  assert.equal(error.code, 'ServiceUnavailable');
  assert.match(error.message, /deployment 'embedding'/);
  assert.match(error.message, /failing/);
  assert.match(error.message, /Please retry after 1 seconds\./);
  assert.deepEqual(error.headers, { 'retry-after-ms': '1', 'retry-after': '1', 'x-should-retry': 'true' });
});

test('exhausted without a deployment names the request instead', () => {
  const message = errors.exhausted(429, '', 100_000).message;
  assert.match(message, /for this request/);
  assert.doesNotMatch(message, /deployment ''/);
  assert.match(message, /Please retry after 60 seconds/);
});

test('exhausted answers carry the signals our own throttle parsing (and Azure clients) read', () => {
  const error = errors.exhausted(429, 'chat', 12_345);
  assert.deepEqual(cooldownFromSignals(error.headers!, error.message, 0), { ms: 12_345, source: 'retry-after-ms' });
  assert.deepEqual(cooldownFromSignals({}, error.message, 0), { ms: 13_000, source: 'body' });
});

test('the other errors: status and code', () => {
  const cases: [AzureError, number, string][] = [
    [errors.unauthorized(), 401, '401'],
    [errors.bodyTooLarge(1024), 413, 'RequestEntityTooLarge'],
    [errors.badRequest('nope'), 400, 'BadRequest'],
    [errors.notFound(), 404, '404'],
    [errors.methodNotAllowed('GET'), 405, 'MethodNotAllowed'],
    [errors.upstreamFailed(), 502, 'BadGateway'],
  ];
  for (const [error, status, code] of cases) assert.deepEqual([error.status, error.code], [status, code], code);
  assert.match(errors.bodyTooLarge(1024).message, /1024 bytes/);
  assert.equal(errors.badRequest('nope').message, 'nope');
  assert.deepEqual(errors.methodNotAllowed('GET, HEAD').headers, { allow: 'GET, HEAD' });
});

/** Serves one response written by `write`, fetches it, and returns what a client sees. */
async function served(write: (res: ServerResponse) => void): Promise<Response> {
  const server = createServer((_req, res) => write(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    await response.clone().arrayBuffer();
    return response;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('sendAzureError writes the Azure body shape with its headers', async () => {
  const response = await served((res) => sendAzureError(res, errors.exhausted(429, 'chat', 2500)));
  assert.equal(response.status, 429);
  assert.equal(response.headers.get('content-type'), 'application/json');
  assert.equal(response.headers.get('retry-after-ms'), '2500');
  assert.equal(response.headers.get('retry-after'), '3');
  assert.equal(response.headers.get('x-should-retry'), 'true');
  const text = await response.text();
  assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(text)));
  const body = JSON.parse(text) as unknown;
  assert.deepEqual(body, {
    error: {
      code: 'RateLimitReached',
      message: "Every backend of this load balancer has exceeded its rate limit for deployment 'chat'. Please retry after 3 seconds.",
    },
  });
});

test('sendAzureError counts content-length in bytes, not characters', async () => {
  const response = await served((res) => sendAzureError(res, errors.badRequest('déjà vu ✓')));
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.headers.get('content-length'), String(bytes.length));
  assert.deepEqual(JSON.parse(bytes.toString('utf8')), { error: { code: 'BadRequest', message: 'déjà vu ✓' } });
});

test('sendAzureError after the headers went out cuts the connection instead', async () => {
  await assert.rejects(
    served((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[]}\n\n');
      sendAzureError(res, errors.upstreamFailed());
    }),
  );
});
