import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Attempt } from '../src/attempt.js';
import { describeError, loggableUrl, readErrorBody, remainingQuota, settleAttempt } from '../src/settle.js';
import { fixedNow, startFixture, type Fixture } from './backend-fixture.js';

let fixture: Fixture;
before(async () => {
  fixture = await startFixture({ CIRCUIT_BASE_SECONDS: '2', DEFAULT_COOLDOWN_SECONDS: '10', MAX_COOLDOWN_SECONDS: '60' });
});
after(() => fixture.close());

const target = '/openai/deployments/chat/chat/completions?api-version=2024-10-21&secret=1';

/** A fresh backend state, one attempt answered as given, settled; the log line it wrote. */
async function settle(status: number, headers: Record<string, string> = {}, body = '{}') {
  const backend = fixture.balancer.backends[0]!;
  backend.recordSuccess('chat');
  backend.deployment('chat').clearCooldowns();
  fixture.answer = (_req, res) => res.writeHead(status, headers).end(body);
  const attempt = await fixture.upstream('POST', target, { messages: [] }).send(backend);
  const logged = fixture.logs.length;
  const delivered = await settleAttempt(fixture.balancer, attempt, 'req-1');
  assert.equal(fixture.logs.length, logged + 1, 'one log line per attempt');
  return { attempt, delivered, backend, state: backend.deployment('chat'), line: JSON.parse(fixture.logs.at(-1)!) as Record<string, unknown> };
}

test('a delivered answer: counted, quota noted, circuits closed, one info line, the response returned', async () => {
  const { attempt, delivered, backend, state, line } = await settle(200, { 'x-ratelimit-remaining-tokens': '900', 'x-ratelimit-remaining-requests': '9' });
  assert.equal(delivered, attempt.response);
  await delivered!.body.text();
  assert.deepEqual([state.remainingTokens, state.remainingRequests, state.observedAt], [900, 9, fixedNow]);
  assert.ok(backend.knownDeployments().includes(state));
  assert.equal(state.outcomes.get('200'), 1);
  assert.deepEqual(Object.keys(line), ['time', 'level', 'msg', 'backend', 'deployment', 'status', 'ms', 'request']);
  const url = `${fixture.url}/prefix/openai/deployments/chat/chat/completions?api-version=2024-10-21`;
  assert.deepEqual(
    { ...line, time: undefined },
    { time: undefined, level: 'info', msg: `Proxying to ${url}`, backend: '1', deployment: 'chat', status: '200', ms: 0, request: 'req-1' },
  );
});

test('a 429 throttles the deployment for what it asked, and logs the cooldown and where it came from', async () => {
  const { delivered, backend, state, line } = await settle(429, { 'retry-after-ms': '4500' });
  assert.equal(delivered, undefined);
  assert.equal(backend.availableAt('chat'), fixedNow + 4500);
  assert.equal(state.cooldownReason, 'throttled');
  assert.deepEqual(Object.keys(line), ['time', 'level', 'msg', 'backend', 'deployment', 'status', 'ms', 'request', 'cooldown_s', 'cooldown_from']);
  assert.deepEqual([line.level, line.status, line.cooldown_s, line.cooldown_from], ['warn', '429', '4.5', 'retry-after-ms']);
});

test('a 429 without headers takes its cooldown from the error body, else the default', async () => {
  const fromBody = await settle(429, {}, '{"error":{"message":"Please retry after 7 seconds."}}');
  assert.deepEqual([fromBody.line.cooldown_s, fromBody.line.cooldown_from], ['7.0', 'body']);
  const fallback = await settle(429);
  assert.deepEqual([fallback.line.cooldown_s, fallback.line.cooldown_from], ['10.0', 'default']);
  assert.equal(fallback.backend.availableAt('chat'), fixedNow + 10_000);
});

test('a 5xx opens the deployment circuit with the back-off; the backend stays open', async () => {
  const { backend, state, line } = await settle(503);
  assert.deepEqual([state.cooldownReason, state.consecutiveFailures, backend.brokenUntil], ['broken', 1, 0]);
  assert.equal(backend.availableAt('chat'), fixedNow + 2000);
  assert.deepEqual([line.status, line.cooldown_s, line.cooldown_from], ['503', '2.0', 'default']);
});

test('a connection error breaks the whole backend and logs the error', async () => {
  const backend = fixture.balancer.backends[0]!;
  const request = fixture.upstream('POST', target, { messages: [] }).request;
  const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const attempt: Attempt = {
    request,
    backend,
    url: 'http://127.0.0.1:1/x',
    startedAt: fixedNow - 30,
    outcome: { kind: 'connection-error' },
    response: undefined,
    error,
  };
  assert.equal(await settleAttempt(fixture.balancer, attempt, 'req-2'), undefined);
  assert.equal(backend.brokenUntil, fixedNow + 2000);
  assert.equal(backend.availableAt('embedding'), fixedNow + 2000);
  const line = JSON.parse(fixture.logs.at(-1)!) as Record<string, unknown>;
  assert.deepEqual(
    [line.msg, line.status, line.ms, line.request, line.error],
    ['Proxying to http://127.0.0.1:1/x', 'connection_error', 30, 'req-2', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1'],
  );
  backend.recordSuccess('chat');
});

test('remainingQuota() reads the x-ratelimit-remaining-* headers', () => {
  assert.deepEqual(remainingQuota({ 'x-ratelimit-remaining-tokens': '120', 'x-ratelimit-remaining-requests': '3' }), { tokens: 120, requests: 3 });
  assert.deepEqual(remainingQuota({}), { tokens: undefined, requests: undefined });
});

test('readErrorBody() reads a whole short body', async () => {
  const body = new PassThrough();
  const read = readErrorBody(body, 1024, 1000);
  body.end('retry after 3 seconds');
  assert.equal(await read, 'retry after 3 seconds');
});

test('readErrorBody() stops at the size bound and destroys the rest', async () => {
  const body = new PassThrough();
  const read = readErrorBody(body, 8, 1000);
  body.write('0123456789');
  assert.equal(await read, '0123456789');
  assert.equal(body.destroyed, true);
});

test('readErrorBody() gives up at the time bound: what came, or undefined when nothing did', async () => {
  const partial = new PassThrough();
  const readPartial = readErrorBody(partial, 1024, 20);
  partial.write('retry after');
  assert.equal(await readPartial, 'retry after');
  assert.equal(partial.destroyed, true);
  const silent = new PassThrough();
  assert.equal(await readErrorBody(silent, 1024, 20), undefined);
  assert.equal(silent.destroyed, true);
});

test('loggableUrl() keeps origin, path and a well-formed api-version only', () => {
  assert.equal(loggableUrl('https://a.example/openai/models'), 'https://a.example/openai/models');
  assert.equal(loggableUrl('https://a.example/p?api-version=2024-10-21&key=secret'), 'https://a.example/p?api-version=2024-10-21');
  assert.equal(loggableUrl('https://a.example/p?api-version=2025-01-01-preview'), 'https://a.example/p?api-version=2025-01-01-preview');
  assert.equal(loggableUrl('https://a.example/p?api-version=latest'), 'https://a.example/p?api-version=latest');
  assert.equal(loggableUrl('https://a.example/p?api-version=%0Aforged'), 'https://a.example/p?api-version=(invalid)');
  assert.equal(loggableUrl('https://a.example/p?token=secret'), 'https://a.example/p');
});

test('describeError() names the code when there is one', () => {
  assert.equal(describeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'ECONNRESET: socket hang up');
  assert.equal(describeError(new Error('boom')), 'boom');
  assert.equal(describeError('text'), 'text');
});
