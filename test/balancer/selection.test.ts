import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { admitted, hello, startTopology, type Topology } from '../helpers/topology.js';
import { waitFor } from '../helpers/wait.js';

function resetAll(topology: Topology): void {
  for (const simulator of topology.simulators) simulator.reset();
  for (const backend of topology.balancer.balancer.backends) {
    backend.brokenUntil = 0;
    for (const state of backend.knownDeployments()) {
      state.clearCooldowns();
      state.remainingTokens = undefined;
      state.remainingRequests = undefined;
    }
  }
}

describe("cooldown from the backend's own signals", () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{ priority: 1 }, { priority: 2 }]);
  });
  afterEach(() => resetAll(topology));
  after(() => topology.close());

  it('keeps a throttled backend out for its retry-after-ms, then uses it again', async () => {
    const [preferred, spare] = topology.simulators as [NonNullable<Topology['simulators'][0]>, NonNullable<Topology['simulators'][0]>];
    preferred.addFault({ kind: '429', count: 1, retryAfterMs: 1_500 });
    const started = Date.now();
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(admitted(spare), 1);

    // While cooling, requests skip backend 1 without touching it.
    const cooling = (await topology.status()).backends[0]!.deployments.find((d) => d.deployment === 'chat')!;
    assert.equal(cooling.state, 'cooling');
    assert.ok(cooling.cooldownRemainingMs > 0 && cooling.cooldownRemainingMs <= 1_500);
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    if (Date.now() - started < 1_500) {
      assert.equal(preferred.stats().deployments.find((d) => d.name === 'chat')!.requests, 1, 'backend 1 not asked while cooling');
      assert.equal(admitted(spare), 2);
    }

    await waitFor('backend 1 to cool down', async () => (await topology.status()).backends[0]!.deployments[0]!.state === 'healthy');
    assert.ok(Date.now() - started >= 1_500, 'the cooldown lasted the 1.5 s the backend asked for');
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(admitted(preferred), 1, 'backend 1 is used again after its cooldown');
  });

  it('logs where the cooldown came from', async () => {
    topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 1500 });
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    const line = topology.logs.findLast((entry) => entry.includes('status=429'));
    assert.ok(line, 'a log line for the 429');
    assert.match(line, /cooldown_s=1\.5 cooldown_from=retry-after-ms/);
  });
});

describe('priority groups', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{ priority: 1 }, { priority: 1 }, { priority: 2 }]);
  });
  afterEach(() => resetAll(topology));
  after(() => topology.close());

  it('sends nothing to priority 2 while a priority-1 backend is available', async () => {
    for (let i = 0; i < 12; i++) await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    const [a, b, c] = topology.simulators.map((simulator) => admitted(simulator));
    assert.equal(c, 0);
    assert.equal(a! + b!, 12);
    assert.ok(a! > 0 && b! > 0, `both priority-1 backends used (${a}, ${b})`);
  });

  it('spills over to priority 2 only when the whole priority-1 group is cooling', async () => {
    topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 10_000 });
    topology.simulators[1]!.addFault({ kind: '429', count: 1, retryAfterMs: 10_000 });
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    // Both priority-1 backends have now answered 429 once; from here on priority 2 carries the load.
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(admitted(topology.simulators[0]!) + admitted(topology.simulators[1]!), 0);
    assert.equal(admitted(topology.simulators[2]!), 3);
  });
});

describe('throttle state per backend AND deployment', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{ priority: 1 }, { priority: 2 }]);
  });
  after(() => topology.close());

  it('keeps embedding traffic on a backend whose chat deployment is throttled', async () => {
    topology.simulators[0]!.addFault({ kind: '429', count: 1, deployment: 'chat', retryAfterMs: 10_000 });
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(admitted(topology.simulators[1]!, 'chat'), 1, 'chat failed over');
    const embedding = await topology.azure().embeddings.create({ model: 'embedding', input: 'hello world' });
    assert.equal(embedding.data.length, 1);
    assert.equal(admitted(topology.simulators[0]!, 'embedding'), 1, 'embedding stayed on backend 1');
    const backend1 = (await topology.status()).backends[0]!;
    assert.deepEqual(backend1.deployments.map((d) => [d.deployment, d.state]).sort(), [
      ['chat', 'cooling'],
      ['embedding', 'healthy'],
    ]);
  });

  it("tracks the v1 route by the body's model", async () => {
    const v1 = topology.v1();
    await v1.embeddings.create({ model: 'embedding', input: 'hi' });
    assert.equal(admitted(topology.simulators[0]!, 'embedding'), 2, 'v1 embedding went to backend 1 though its chat cools');
  });
});

describe('headroom from x-ratelimit-remaining-* headers', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([
      { simulator: { deployments: [{ name: 'chat', model: 'gpt-35-turbo', tpm: 30_000 }] } },
      { simulator: { deployments: [{ name: 'chat', model: 'gpt-35-turbo', tpm: 300_000 }] } },
    ]);
  });
  after(() => topology.close());

  it('prefers the backend with the most remaining tokens once both are known', async () => {
    const client = topology.azure();
    await waitFor('both backends to have answered once', async () => {
      await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 10 });
      return admitted(topology.simulators[0]!) > 0 && admitted(topology.simulators[1]!) > 0;
    });
    const small = admitted(topology.simulators[0]!);
    for (let i = 0; i < 10; i++) await client.chat.completions.create({ model: 'chat', messages: hello, max_tokens: 10 });
    assert.equal(admitted(topology.simulators[0]!), small, 'the 30K backend got none of the next 10');
    const status = await topology.status();
    assert.ok(status.backends[1]!.deployments[0]!.remainingTokens! > status.backends[0]!.deployments[0]!.remainingTokens!);
  });
});
