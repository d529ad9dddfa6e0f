import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { APIError } from 'openai';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';
import { waitFor } from '../helpers/wait.js';

// 3,000 TPM = 18 RPM = 3 requests per 10-s window; time scale 2 makes the window 5 s, and the balancer counts the same window.
const timeScale = 2;
const windowMs = 10_000 / timeScale;
const simulator = { timeScale, deployments: [{ name: 'chat', model: 'gpt-4o-mini', tpm: 3000 }] };

describe('the request window (x-ratelimit-remaining-requests)', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{ simulator }, { simulator }], { REQUEST_WINDOW_SECONDS: String(windowMs / 1000) });
  });
  after(() => topology.close());

  const upstream429s = (): number => topology.simulators.reduce((sum, s) => sum + s.stats().deployments.find((d) => d.name === 'chat')!.rejected429, 0);
  const upstreamRequests = (): number => topology.simulators.reduce((sum, s) => sum + s.stats().deployments.find((d) => d.name === 'chat')!.requests, 0);

  it('sends nothing into a full window: the balancer answers 429 until the oldest admitted request is one window old', async () => {
    const client = topology.azure();
    const firstSentAt = Date.now();
    for (let i = 0; i < 6; i++) await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(upstreamRequests(), 6);
    assert.deepEqual(
      topology.simulators.map((s) => s.stats().deployments.find((d) => d.name === 'chat')!.admitted),
      [3, 3],
      'the six requests filled both windows',
    );

    const refused = await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof APIError, `a 429 from the balancer, got ${String(refused)}`);
    assert.equal(refused.status, 429);
    assert.equal(upstreamRequests(), 6, 'the seventh request was not sent upstream');
    const retryAfterMs = Number(refused.headers?.get('retry-after-ms'));
    assert.ok(retryAfterMs > 0 && retryAfterMs <= Math.ceil(windowMs * 1.01), `retry-after-ms ${retryAfterMs} is within one window and its 1 % margin`);
    assert.ok(Date.now() + retryAfterMs >= firstSentAt + windowMs * 1.01, 'not before the first request is one window (and margin) old');

    // Within a tenth of a window of the slot's return, the balancer holds the request for it instead of refusing it.
    // The slot's time is read from the balancer itself (the client's Date.now() + retry-after-ms runs late by the answer's transit).
    const slotBackAt = Math.min(...topology.balancer.balancer.backends.map((backend) => backend.readyAt('chat', Date.now())));
    assert.ok(slotBackAt > Date.now(), 'both windows are still full');
    await sleep(slotBackAt - windowMs * 0.09 - Date.now());
    const sentAt = Date.now();
    assert.ok(sentAt < slotBackAt, `sent ${slotBackAt - sentAt} ms before the slot came back`);
    await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.ok(Date.now() >= slotBackAt, `answered once the slot was back (${Date.now() - slotBackAt} ms after): the balancer waited for it`);
    assert.equal(upstreamRequests(), 7);
    assert.equal(upstream429s(), 0, 'no request went into a full window');
  });

  it('shows the wait in the log line of the refusal', async () => {
    const line = topology.logs.findLast((entry) => entry.includes('No backend available for chat'));
    assert.ok(line, 'the refusal was logged');
    assert.match(line, /status=429 retry_after_ms=\d+/);
    assert.doesNotMatch(line, new RegExp(clientKey));
  });
});

describe('a client that leaves while the balancer holds its request for a slot', () => {
  // Real time (a 10-s window): the request is held when its slot comes back within 1 s.
  const realTime = { deployments: [{ name: 'chat', model: 'gpt-4o-mini', tpm: 3000 }] };
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{ simulator: realTime }]);
  });
  after(() => topology.close());

  const upstreamRequests = (): number => topology.simulators[0]!.stats().deployments.find((d) => d.name === 'chat')!.requests;
  const waiting = async (): Promise<number> => {
    const text = await (await fetch(`${topology.url}/metrics`, { headers: { 'api-key': clientKey } })).text();
    return Number(/^aoai_lb_requests_waiting (\d+)$/m.exec(text)?.[1]);
  };

  it('is let go at once: nothing is sent for it, and the slot serves the next request', async () => {
    const client = topology.azure();
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    const refused = await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }).catch((error: unknown) => error);
    assert.ok(refused instanceof APIError && refused.status === 429, `a 429 from the balancer, got ${String(refused)}`);
    const slotBackAt = Date.now() + Number(refused.headers?.get('retry-after-ms'));
    assert.equal(await waiting(), 0);

    await sleep(slotBackAt - Date.now() - 800);
    const leaving = new AbortController();
    const held = client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }, { signal: leaving.signal }).catch((error: unknown) => error);
    await waitFor('the balancer to hold the request', async () => (await waiting()) === 1);
    leaving.abort();
    assert.ok((await held) instanceof Error, 'the client gave up');
    await waitFor('the held request to be let go', async () => (await waiting()) === 0);
    assert.ok(Date.now() < slotBackAt, 'let go before its slot came back, not when the wait ended');

    await sleep(Math.max(0, slotBackAt - Date.now()) + 50);
    await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(upstreamRequests(), 4, 'nothing was sent for the client that left; the next request had its slot');
    assert.ok(!topology.logs.some((line) => /"level":"error"|level=error/.test(line)), topology.logs.join('\n'));
  });
});
