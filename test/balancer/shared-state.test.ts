import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startReplicas, type Replica, type Replicas } from '../helpers/replicas.js';
import { hello, requestsSeen } from '../helpers/topology.js';
import { waitFor } from '../helpers/wait.js';

const chat = (replica: Replica) => replica.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
const chatState = (replica: Replica, backend: number) => replica.running.balancer.backends[backend]!.deployment('chat');

/** Every replica's state back to nothing learned, the simulators' counters and faults cleared. */
function fresh(world: Replicas): void {
  for (const simulator of world.simulators) simulator.reset();
  for (const replica of world.replicas) {
    for (const backend of replica.running.balancer.backends) {
      backend.brokenUntil = 0;
      for (const state of backend.allDeployments()) state.clearCooldowns();
    }
  }
}

describe('shared state: replicas on one store act as one balancer', () => {
  const password = 'store-password-never-logged';
  let redis: RedisServer;
  let world: Replicas;
  before(async () => {
    redis = await startRedis({ password });
    // Backend 1 is preferred, so where each replica sends first is known. A refresh every 10 s: what
    // arrives sooner came by the events channel.
    world = await startReplicas(2, [{ priority: 1 }, { priority: 2 }], {
      SHARED_STATE_URL: redis.url,
      SHARED_STATE_REFRESH_MS: '10000',
      HTTP_TIMEOUT_SECONDS: '30',
    });
    await waitFor('both replicas sharing', async () =>
      (await Promise.all(world.replicas.map((r) => r.status()))).every((s) => s.sharedState?.mode === 'shared'),
    );
    // Each replica knows that both backends serve `chat`, as after answers from both (only known deployments are shared).
    for (const replica of world.replicas) {
      for (const backend of replica.running.balancer.backends) {
        backend.deployment('chat');
        backend.confirm('chat', Date.now());
      }
    }
  });
  after(async () => {
    await world?.close();
    await redis?.close();
  });
  beforeEach(async () => {
    fresh(world);
    const store = createClient({ url: redis.url });
    await store.connect();
    await store.flushAll();
    await store.close();
  });

  it('a 429 seen by one replica keeps the other away from that deployment, by publish, not by refresh', async (t) => {
    const [a, b] = world.replicas as [Replica, Replica];
    world.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 30_000 });
    await chat(a);
    assert.ok(chatState(a, 0).throttledUntil > Date.now(), 'replica A rests backend 1');
    const answered = performance.now();
    await waitFor('replica B to rest backend 1 too', () => chatState(b, 0).throttledUntil > Date.now());
    const waited = performance.now() - answered;
    t.diagnostic(
      waited < 1 ? "replica B knew before replica A's client had its answer" : `replica B knew ${waited.toFixed(1)} ms after replica A's client had its answer`,
    );
    assert.ok(Math.abs(chatState(b, 0).throttledUntil - chatState(a, 0).throttledUntil) <= 1, 'the same deadline');

    const before = requestsSeen(world.simulators[0]!);
    for (let i = 0; i < 3; i++) await chat(b);
    assert.equal(requestsSeen(world.simulators[0]!), before, 'replica B sent nothing into the throttled deployment');
    assert.equal((await b.status()).backends[0]!.deployments.find((d) => d.deployment === 'chat')?.state, 'cooling');
  });

  it('a cooldown is only ever extended: a shorter one learned later does not shorten it', async () => {
    const [a, b] = world.replicas as [Replica, Replica];
    world.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 30_000 });
    await chat(a);
    await waitFor('replica B to rest backend 1', () => chatState(b, 0).throttledUntil > Date.now());
    const long = chatState(b, 0).throttledUntil;
    // Replica B learns a 1-second cooldown of its own; nobody's deadline moves earlier.
    const store = createClient({ url: redis.url });
    await store.connect();
    const monitor = store.duplicate();
    await monitor.connect();
    try {
      const executed: string[] = [];
      await monitor.monitor((line) => executed.push(line));
      chatState(b, 0).clearCooldowns();
      world.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 1000 });
      await chat(b);
      const short = chatState(b, 0).throttledUntil;
      assert.ok(short > Date.now() && short < long, `replica B rests backend 1 for its own shorter while (${short} < ${long})`);
      await waitFor("the store to have run replica B's write of its shorter deadline", () =>
        executed.some((line) => line.includes('"tu"') && line.includes(`"${Math.ceil(short)}"`)),
      );
      const keys = await store.keys('aoai-lb:d:*');
      const deadlines = await Promise.all(keys.map((key) => store.hGet(key, 'tu')));
      assert.ok(
        deadlines.some((value) => Number(value) === long),
        'the store keeps the 30-second deadline',
      );
    } finally {
      await monitor.close();
      await store.close();
    }
    assert.equal(chatState(a, 0).throttledUntil, long, 'replica A keeps its deadline');
  });

  it('a reservation made by one replica is seen by the other while it is in flight, and released after', async () => {
    const [a, b] = world.replicas as [Replica, Replica];
    world.simulators[0]!.addFault({ kind: 'hang', count: 1 });
    const abort = new AbortController();
    const pending = a
      .azure()
      .chat.completions.create({ model: 'chat', messages: hello, max_tokens: 700 }, { signal: abort.signal })
      .catch((error: unknown) => error);
    await b.running.balancer.shared!.refresh();
    const seen = await waitFor("replica B to see replica A's request in flight", async () => {
      await b.running.balancer.shared!.refresh();
      const elsewhere = chatState(b, 0).elsewhere;
      return elsewhere.requests === 1 ? elsewhere : undefined;
    });
    assert.ok(seen.tokens >= 700, `reserved ${seen.tokens} tokens: at least max_tokens`);
    assert.equal(chatState(a, 0).elsewhere.requests, 0, 'a replica does not count its own requests twice');
    abort.abort();
    await pending;
    await waitFor('the reservation to be released', async () => {
      await b.running.balancer.shared!.refresh();
      return chatState(b, 0).elsewhere.requests === 0;
    });
  });

  it("the latest remaining-quota reading of one replica is the other's", async () => {
    const [a, b] = world.replicas as [Replica, Replica];
    await chat(a);
    const reading = chatState(a, 0).remainingTokens;
    assert.ok(reading !== undefined && reading < 30_000, `replica A read ${reading}`);
    await waitFor('replica B to have the reading', async () => {
      await b.running.balancer.shared!.refresh();
      return chatState(b, 0).remainingTokens === reading;
    });
  });

  it('names no backend answered for stay out of the store', async () => {
    const [a] = world.replicas as [Replica];
    for (let i = 0; i < 20; i++) {
      await a
        .azure()
        .chat.completions.create({ model: `made-up-${i}`, messages: hello, max_tokens: 5 })
        .catch(() => undefined);
    }
    const store = createClient({ url: redis.url });
    await store.connect();
    try {
      const keys = await store.keys('aoai-lb:*');
      assert.ok(keys.length <= 6, `keys: ${keys.join(', ')}`);
    } finally {
      await store.close();
    }
  });

  it("never shows or logs the store's key", async () => {
    const status = JSON.stringify(await world.replicas[0]!.status());
    assert.match(status, /"store":"redis:\/\/127\.0\.0\.1:\d+"/);
    for (const replica of world.replicas) {
      assert.ok(!status.includes(password) && !replica.logs.join('\n').includes(password));
    }
  });
});

describe('shared state: the store goes away and comes back', () => {
  let redis: RedisServer;
  let world: Replicas;
  before(async () => {
    redis = await startRedis();
    // Quota enough that the load never meets a 429 of its own.
    const roomy = { simulator: { deployments: [{ name: 'chat', model: 'gpt-35-turbo', tpm: 100_000_000 }] } };
    world = await startReplicas(2, [roomy, roomy], { SHARED_STATE_URL: redis.url, SHARED_STATE_REFRESH_MS: '20' });
    await waitFor('both replicas sharing', async () =>
      (await Promise.all(world.replicas.map((r) => r.status()))).every((s) => s.sharedState?.mode === 'shared'),
    );
  });
  after(async () => {
    await world?.close();
    await redis?.close();
  });

  async function load(during: () => Promise<void>): Promise<{ ok: number; failed: unknown[] }> {
    let stop = false;
    let ok = 0;
    const failed: unknown[] = [];
    const client = async (replica: Replica): Promise<void> => {
      while (!stop) {
        try {
          await chat(replica);
          ok++;
        } catch (error) {
          failed.push(error);
        }
      }
    };
    const clients = world.replicas.flatMap((replica) => [client(replica), client(replica)]);
    try {
      await during();
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    return { ok, failed };
  }

  it('killed mid-load: no client request fails, each replica says so once, and they share again when it is back', async () => {
    const [a, b] = world.replicas as [Replica, Replica];
    const result = await load(async () => {
      await waitFor('traffic', () => world.simulators.every((s) => requestsSeen(s) > 5));
      await redis.stop();
      await waitFor('both replicas degraded', async () =>
        (await Promise.all(world.replicas.map((r) => r.status()))).every((s) => s.sharedState?.mode === 'degraded'),
      );
      const seen = requestsSeen(world.simulators[0]!) + requestsSeen(world.simulators[1]!);
      await waitFor('traffic while the store is away', () => requestsSeen(world.simulators[0]!) + requestsSeen(world.simulators[1]!) > seen + 20);
      await redis.start();
      await waitFor(
        'both replicas sharing again',
        async () => (await Promise.all(world.replicas.map((r) => r.status()))).every((s) => s.sharedState?.mode === 'shared'),
        15_000,
      );
    });
    assert.deepEqual(result.failed, [], `${result.failed.length} failed of ${result.ok + result.failed.length}`);
    assert.ok(result.ok > 20);
    // Once per outage: going away and coming back alternate (a stalled machine may add a "too slow" outage of its own).
    for (const replica of world.replicas) {
      const changes = replica.logs.flatMap((line) =>
        line.includes('the store is unreachable or too slow') ? ['away'] : line.includes('the store is back') ? ['back'] : [],
      );
      assert.ok(changes.length >= 2, `the outage and the return were logged: ${changes.join(', ')}`);
      assert.ok(
        changes.every((change, i) => change === (i % 2 === 0 ? 'away' : 'back')),
        `each outage logged once, then its end: ${changes.join(', ')}`,
      );
      assert.equal(changes.at(-1), 'back');
    }
    assert.match(await a.metrics(), /^aoai_lb_shared_state_up 1$/m);

    // Shared again: a cooldown reaches the other replica. Which backend replica A tries first depends on
    // the headroom the load left, so both answer one 429: A rests both, and so must B.
    for (const simulator of world.simulators) simulator.addFault({ kind: '429', count: 1, retryAfterMs: 2000 });
    await assert.rejects(chat(a), { status: 429 });
    for (const backend of [0, 1]) {
      const deadline = chatState(a, backend).throttledUntil;
      assert.ok(deadline > 0, `replica A rests backend ${backend + 1}`);
      await waitFor(`replica B to rest backend ${backend + 1} until ${deadline}`, () => chatState(b, backend).throttledUntil >= deadline);
    }
    // The next test needs the backends back.
    await waitFor('the 2-second cooldowns to pass', () => world.replicas.every((r) => [0, 1].every((i) => chatState(r, i).throttledUntil <= Date.now())));
  });

  it('frozen (it answers nothing): requests go on, the replicas serve on their own, and rejoin when it answers', async () => {
    const result = await load(async () => {
      redis.pause();
      try {
        await waitFor('a replica to give up on the frozen store', async () => (await world.replicas[0]!.status()).sharedState?.mode === 'degraded', 15_000);
        assert.match(await world.replicas[0]!.metrics(), /^aoai_lb_shared_state_up 0$/m);
      } finally {
        redis.resume();
      }
      await waitFor(
        'both replicas sharing again',
        async () => (await Promise.all(world.replicas.map((r) => r.status()))).every((s) => s.sharedState?.mode === 'shared'),
        15_000,
      );
    });
    assert.deepEqual(result.failed, [], `${result.failed.length} failed of ${result.ok + result.failed.length}`);
  });
});
