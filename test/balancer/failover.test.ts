import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admitted, hello, requestsSeen, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, okChat, type RecordingBackend } from '../helpers/recording-backend.js';

describe('failover to another backend, at once, for the same request', () => {
  let topology: Topology;
  before(async () => {
    // Backend 1 is preferred, so every request goes there first and failover is observable. The timeout is
    // what the hang test waits out; shorter, a loaded machine's slow answer would count as a timeout too.
    topology = await startTopology([{ priority: 1 }, { priority: 2 }], { CIRCUIT_BASE_SECONDS: '0.2', HTTP_TIMEOUT_SECONDS: '3' });
  });
  after(() => topology.close());

  const [first, second] = [0, 1];

  async function fresh(): Promise<void> {
    for (const simulator of topology.simulators) simulator.reset();
    for (const backend of topology.balancer.balancer.backends) {
      backend.brokenUntil = 0;
      backend.consecutiveFailures = 0;
      for (const state of backend.knownDeployments()) {
        state.clearCooldowns();
        state.consecutiveFailures = 0;
      }
    }
  }

  for (const kind of ['429', '500', '503', 'reset', 'hang'] as const) {
    it(`moves a request that met ${kind === 'hang' ? 'a timeout' : kind} on backend 1 to backend 2`, async () => {
      await fresh();
      topology.simulators[first]!.addFault({ kind, count: 1, retryAfterMs: 5_000 });
      const completion = await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(requestsSeen(topology.simulators[first]!), 1, 'backend 1 saw the request once');
      assert.equal(admitted(topology.simulators[first]!), 0);
      assert.equal(admitted(topology.simulators[second]!), 1, 'backend 2 answered it');
      const backend1 = (await topology.status()).backends[0]!;
      if (kind === 'reset' || kind === 'hang') assert.equal(backend1.state, 'broken');
      else assert.equal(backend1.deployments.find((d) => d.deployment === 'chat')?.state, kind === '429' ? 'cooling' : 'broken');
    });
  }

  it('uses a backend again once its circuit back-off has passed, and a success closes the circuit', async () => {
    await fresh();
    topology.simulators[first]!.addFault({ kind: '500', count: 1 });
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(admitted(topology.simulators[second]!), 1);
    // CIRCUIT_BASE_SECONDS=0.2: wait until the balancer reports backend 1 healthy again.
    await waitUntilHealthy(topology, 0, 'chat');
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(admitted(topology.simulators[first]!), 1, 'backend 1 took the next request');
    const state = topology.balancer.balancer.backends[0]!.deployment('chat');
    assert.equal(state.consecutiveFailures, 0);
  });

  it('doubles the back-off on consecutive failures', async () => {
    await fresh();
    const state = topology.balancer.balancer.backends[0]!.deployment('chat');
    topology.simulators[first]!.addFault({ kind: '500', count: 2 });
    const firstWindow = await timed(() => topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }));
    assertWithin(state.cooldownUntil, firstWindow, 200);
    await waitUntilHealthy(topology, 0, 'chat');
    const secondWindow = await timed(() => topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 }));
    assertWithin(state.cooldownUntil, secondWindow, 400);
    assert.equal(state.consecutiveFailures, 2);
  });

  it('tries each backend at most once per request', async () => {
    await fresh();
    for (const simulator of topology.simulators) simulator.addFault({ kind: '500', count: 5 });
    const error = await topology
      .azure()
      .chat.completions.create({ model: 'chat', messages: hello })
      .catch((e: unknown) => e);
    assert.equal((error as { status?: number }).status, 503);
    assert.equal(requestsSeen(topology.simulators[first]!), 1);
    assert.equal(requestsSeen(topology.simulators[second]!), 1);
  });
});

describe('body replay', () => {
  let throttling: RecordingBackend;
  let healthy: RecordingBackend;
  let topology: Topology;
  before(async () => {
    throttling = await startRecordingBackend((_request, res) => {
      res.writeHead(429, { 'retry-after-ms': '3000', 'content-type': 'application/json' });
      res.end('{"error":{"code":"429","message":"throttled"}}');
    });
    healthy = await startRecordingBackend(okChat);
    topology = await startTopology([
      { url: throttling.url, apiKey: 'k1', priority: 1 },
      { url: healthy.url, apiKey: 'k2', priority: 2 },
    ]);
  });
  after(async () => {
    await topology.close();
    await throttling.close();
    await healthy.close();
  });

  it('sends the next backend the very bytes the client sent', async () => {
    // Odd spacing, key order and non-ASCII text: any re-serialisation would change these bytes.
    const raw = Buffer.from('{ "messages":[{"role":"user","content":"Grüße 👋  \\u00e9"}],  "max_tokens": 7 ,"model":"chat"}\n', 'utf8');
    const response = await fetch(`${topology.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': 'client-key-for-tests', 'content-type': 'application/json' },
      body: raw,
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.equal(throttling.requests.length, 1);
    assert.equal(healthy.requests.length, 1);
    assert.deepEqual(throttling.requests[0]!.body, raw);
    assert.deepEqual(healthy.requests[0]!.body, raw);
    assert.equal(healthy.requests[0]!.headers['content-length'], String(raw.length));
  });
});

async function waitUntilHealthy(topology: Topology, backendIndex: number, deployment: string): Promise<void> {
  const { waitFor } = await import('../helpers/wait.js');
  await waitFor(`backend ${backendIndex + 1} ${deployment} healthy`, async () => {
    const status = await topology.status();
    const backend = status.backends[backendIndex]!;
    const state = backend.deployments.find((d) => d.deployment === deployment);
    return backend.state === 'healthy' && (state === undefined || state.state === 'healthy');
  });
}

async function timed(action: () => Promise<unknown>): Promise<{ start: number; end: number }> {
  const start = Date.now();
  await action();
  return { start, end: Date.now() };
}

/** The cooldown was set to `ms` from some moment inside the window. */
function assertWithin(until: number, window: { start: number; end: number }, ms: number): void {
  assert.ok(until >= window.start + ms && until <= window.end + ms, `cooldown of ${until - window.start} ms from the request's start, expected ${ms} ms`);
}
