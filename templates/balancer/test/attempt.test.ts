import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { isTimeout } from '../src/attempt.js';
import { fixedNow, startFixture, type Fixture } from './backend-fixture.js';

let fixture: Fixture;
let renaming: Fixture;
before(async () => {
  fixture = await startFixture();
  renaming = await startFixture({ BACKEND_1_DEPLOYMENT_NAME: 'gpt-4o-east' });
});
after(async () => {
  await fixture.close();
  await renaming.close();
});

test('send() sends the request to the backend under its prefix, with the backend key instead of the client one', async () => {
  fixture.answer = (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
  const upstream = fixture.upstream('POST', '/openai/deployments/chat/chat/completions?api-version=2024-10-21', { messages: [] });
  const backend = fixture.balancer.backends[0]!;
  const attempt = await upstream.send(backend);
  assert.deepEqual(attempt.outcome, { kind: 'response', status: 201 });
  assert.equal(attempt.url, `${fixture.url}/prefix/openai/deployments/chat/chat/completions?api-version=2024-10-21`);
  assert.equal(attempt.startedAt, fixedNow);
  assert.equal(attempt.backend, backend);
  assert.equal(attempt.request, upstream.request);
  assert.equal(attempt.error, undefined);
  assert.equal(await attempt.response!.body.text(), '{"ok":true}');
  const seen = fixture.seen.at(-1)!;
  assert.equal(seen.url, '/prefix/openai/deployments/chat/chat/completions?api-version=2024-10-21');
  assert.equal(seen.headers['api-key'], 'backend-key');
  assert.equal(seen.body, '{"messages":[]}');
  const state = backend.deployment('chat');
  assert.deepEqual([state.requests, state.awaiting], [1, 0], 'reserved, then answered');
});

test('send() renames the body model on v1 routes for a backend with its own deployment name, and the path on dated routes', async () => {
  renaming.answer = (_req, res) => res.end('{}');
  const backend = renaming.balancer.backends[0]!;
  await (await renaming.upstream('POST', '/openai/v1/chat/completions', { model: 'chat', messages: [] }).send(backend)).response!.body.text();
  assert.equal(renaming.seen.at(-1)!.url, '/prefix/openai/v1/chat/completions');
  assert.deepEqual(JSON.parse(renaming.seen.at(-1)!.body), { model: 'gpt-4o-east', messages: [] });
  await (
    await renaming.upstream('POST', '/openai/deployments/chat/chat/completions?api-version=2024-10-21', { model: 'chat' }).send(backend)
  ).response!.body.text();
  assert.equal(renaming.seen.at(-1)!.url, '/prefix/openai/deployments/gpt-4o-east/chat/completions?api-version=2024-10-21');
  assert.deepEqual(JSON.parse(renaming.seen.at(-1)!.body), { model: 'chat' }, 'dated routes keep the body as sent');
});

test('send() turns a refused connection into a connection-error outcome, and never throws', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const gone = await startFixture({ BACKEND_1_URL: `http://127.0.0.1:${port}/` });
  try {
    const backend = gone.balancer.backends[0]!;
    const attempt = await gone.upstream('POST', '/openai/deployments/chat/chat/completions', { messages: [] }).send(backend);
    assert.deepEqual(attempt.outcome, { kind: 'connection-error' });
    assert.equal(attempt.response, undefined);
    assert.ok(attempt.error instanceof Error);
    assert.equal(backend.deployment('chat').awaiting, 0);
  } finally {
    await gone.close();
  }
});

test('send() turns a backend silent past HTTP_TIMEOUT_SECONDS into a timeout outcome', async () => {
  const slow = await startFixture({ HTTP_TIMEOUT_SECONDS: '0.1' });
  try {
    slow.answer = () => undefined;
    const attempt = await slow.upstream('GET', '/openai/models').send(slow.balancer.backends[0]!);
    assert.deepEqual(attempt.outcome, { kind: 'timeout' });
    assert.equal((attempt.error as { code?: string }).code, 'UND_ERR_HEADERS_TIMEOUT');
  } finally {
    await slow.close();
  }
});

test('isTimeout() knows undici and socket timeout codes only', () => {
  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'])
    assert.equal(isTimeout(Object.assign(new Error('x'), { code })), true, code);
  for (const error of [new Error('x'), Object.assign(new Error('x'), { code: 'ECONNRESET' }), undefined, 'text']) assert.equal(isTimeout(error), false);
});
