import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admitted, clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';

const chatUrl = (base: string): string => `${base}/openai/deployments/chat/chat/completions?api-version=2024-10-21`;
const post = (base: string): Promise<Response> =>
  fetch(chatUrl(base), {
    method: 'POST',
    headers: { 'api-key': clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: hello, max_tokens: 5 }),
  });

describe('when every backend is cooling', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{}, {}]);
  });
  after(() => topology.close());

  it('answers 429 with an Azure-shaped error and the time until the soonest backend is free', async () => {
    // Cooldowns long enough to outlast any stall before the next test, which needs them.
    topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 20_000 });
    topology.simulators[1]!.addFault({ kind: '429', count: 1, retryAfterMs: 10_000 });
    const started = Date.now();
    const response = await post(topology.url);
    assert.equal(response.status, 429);
    const retryAfterMs = Number(response.headers.get('retry-after-ms'));
    assert.ok(retryAfterMs > 0 && retryAfterMs <= 10_000 && retryAfterMs >= 10_000 - (Date.now() - started), `retry-after-ms ${retryAfterMs}`);
    assert.equal(response.headers.get('retry-after'), String(Math.ceil(retryAfterMs / 1000)));
    assert.equal(response.headers.get('x-should-retry'), 'true');
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'RateLimitReached');
    assert.match(body.error.message, new RegExp(`deployment 'chat'.*Please retry after ${Math.ceil(retryAfterMs / 1000)} seconds\\.`));
    assert.equal((await topology.status()).responses['429'], 1, "the balancer's own 429 is counted");
  });

  it('answers at once, without asking a backend, while all still cool', async () => {
    assert.ok(
      topology.balancer.balancer.backends.every((backend) => backend.readyAt('chat', Date.now()) > Date.now()),
      'both backends still cool',
    );
    const seen = topology.simulators.map((simulator) => simulator.stats().deployments[0]!.requests);
    const response = await post(topology.url);
    assert.equal(response.status, 429);
    await response.arrayBuffer();
    assert.deepEqual(
      topology.simulators.map((simulator) => simulator.stats().deployments[0]!.requests),
      seen,
    );
  });

  it('makes the openai SDK wait exactly that long, after which its retry succeeds', async () => {
    for (const backend of topology.balancer.balancer.backends) backend.deployment('chat').clearCooldowns();
    topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 600 });
    topology.simulators[1]!.addFault({ kind: '429', count: 1, retryAfterMs: 600 });
    const started = Date.now();
    const completion = await topology.azure({ maxRetries: 2 }).chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }).withResponse();
    const waited = Date.now() - started;
    assert.equal(completion.response.status, 200);
    // openai-node waits retry-after-ms when it is under 60 s; its own back-off would be 0.375–0.5 s.
    assert.ok(waited >= 550, `the SDK waited ${waited} ms, as told`);
    assert.equal(admitted(topology.simulators[0]!) + admitted(topology.simulators[1]!), 1);
  });
});

describe('when every backend is broken rather than throttled', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{}, {}], { CIRCUIT_BASE_SECONDS: '3' });
  });
  after(() => topology.close());

  it('answers 503 with the same retry headers', async () => {
    topology.simulators[0]!.addFault({ kind: '500', count: 1 });
    topology.simulators[1]!.addFault({ kind: 'reset', count: 1 });
    const started = Date.now();
    const response = await post(topology.url);
    assert.equal(response.status, 503);
    const retryAfterMs = Number(response.headers.get('retry-after-ms'));
    assert.ok(retryAfterMs > 0 && retryAfterMs <= 3_000 && retryAfterMs >= 3_000 - (Date.now() - started), `retry-after-ms ${retryAfterMs}`);
    assert.equal(response.headers.get('retry-after'), String(Math.ceil(retryAfterMs / 1000)));
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'ServiceUnavailable');
  });

  it('caps the advice under 60 s so both SDKs honour it', async () => {
    for (const backend of topology.balancer.balancer.backends) backend.brokenUntil = Date.now() + 3_600_000;
    const response = await post(topology.url);
    await response.arrayBuffer();
    assert.equal(response.headers.get('retry-after-ms'), '59999');
    assert.equal(response.headers.get('retry-after'), '60');
  });
});
