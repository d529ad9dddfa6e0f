import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exhaustion, selectBackend } from '../src/selection.js';
import { BackendState } from '../src/state.js';

const now = 1_000_000;
const none = new Set<BackendState>();

function backend(id: string, priority = 1): BackendState {
  return new BackendState({ id, url: new URL(`https://aoai-${id}.openai.azure.com/`), priority, apiKey: 'k', deploymentName: undefined });
}

/** Sets known remaining tokens for a deployment, observed now. */
function remaining(b: BackendState, tokens: number, deployment = 'chat'): BackendState {
  b.deployment(deployment).observeRemaining(tokens, 100, now);
  return b;
}

function pick(backends: BackendState[], options: { deployment?: string; tried?: Set<BackendState>; random?: number } = {}): string | undefined {
  const random = options.random ?? 0;
  return selectBackend(backends, options.deployment ?? 'chat', options.tried ?? none, now, () => random)?.id;
}

/** Every id that some random draw can pick. */
function reachable(backends: BackendState[], deployment = 'chat'): string[] {
  const ids = new Set<string>();
  for (let r = 0; r < 1; r += 0.01) ids.add(selectBackend(backends, deployment, none, now, () => r)!.id);
  return [...ids].sort();
}

test('the best priority group is used even when a worse group has more headroom', () => {
  const backends = [remaining(backend('b', 2), 90_000), remaining(backend('a', 1), 10), backend('c', 3)];
  assert.deepEqual(reachable(backends), ['a']);
});

test('lower priority numbers are better, negatives included', () => {
  assert.deepEqual(reachable([backend('p1', 1), backend('p0', 0), backend('m1', -1)]), ['m1']);
});

test('spill to the next group only when every backend of the better group is unavailable', () => {
  const a1 = backend('a1', 1);
  const a2 = backend('a2', 1);
  const b = backend('b', 2);
  const backends = [a1, a2, b];
  a1.deployment('chat').coolDown('throttled', 10_000, now);
  assert.deepEqual(reachable(backends), ['a2'], 'one of the group is left');
  a2.brokenUntil = now + 5000;
  assert.deepEqual(reachable(backends), ['b'], 'the whole group is out');
  a2.brokenUntil = now;
  assert.deepEqual(reachable(backends), ['a2'], 'available again exactly at brokenUntil');
});

test('a backend cooling down until exactly now is available', () => {
  const a = backend('a', 1);
  a.deployment('chat').coolDown('throttled', 5000, now - 5000);
  assert.equal(pick([a, backend('b', 2)]), 'a');
});

test('tried backends are skipped, spilling over when their group is used up', () => {
  const a1 = backend('a1', 1);
  const a2 = backend('a2', 1);
  const b = backend('b', 2);
  assert.equal(pick([a1, a2, b], { tried: new Set([a1]) }), 'a2');
  assert.equal(pick([a1, a2, b], { tried: new Set([a1, a2]) }), 'b');
  assert.equal(pick([a1, a2, b], { tried: new Set([a1, a2, b]) }), undefined);
  assert.equal(pick([]), undefined);
});

test('within a group the most headroom wins', () => {
  const backends = [remaining(backend('a'), 500), remaining(backend('b'), 9000), remaining(backend('c'), 2000), remaining(backend('d', 2), 50_000)];
  assert.deepEqual(reachable(backends), ['b']);
});

test('unknown headroom (nothing observed, or stale) is preferred over any known headroom', () => {
  const known = remaining(backend('known'), 1_000_000);
  assert.deepEqual(reachable([known, backend('unknown')]), ['unknown']);
  const stale = backend('stale');
  stale.deployment('chat').observeRemaining(1, 1, now - 61_000);
  assert.deepEqual(reachable([known, stale]), ['stale']);
});

test('an unknown backend still waiting for an answer ranks below every other, and is used only when alone', () => {
  const waiting = backend('waiting');
  waiting.deployment('chat').reserve(100, now);
  const idle = backend('idle');
  const low = remaining(backend('low'), 10);
  low.deployment('chat').reserve(500, now);
  assert.deepEqual(reachable([waiting, idle]), ['idle']);
  assert.deepEqual(reachable([waiting, low]), ['low'], 'even a known backend with its quota spent');
  assert.equal(pick([waiting]), 'waiting');
  waiting.deployment('chat').answered();
  assert.deepEqual(reachable([waiting, idle]), ['idle', 'waiting'], 'once answered it is unknown again, and tried');
});

test('a backend whose request window is full is not chosen; alone, the answer is a 429 until a slot frees', () => {
  const out = backend('out');
  out.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: 80_000, requests: 0 }, now);
  assert.deepEqual(reachable([out, remaining(backend('some'), 100)]), ['some']);
  assert.equal(pick([out, backend('worse', 2)]), 'worse', 'a worse priority group takes it');
  assert.equal(pick([out]), undefined);
  assert.deepEqual(exhaustion([out], 'chat', now), { status: 429, retryAfterMs: 10_100 });
});

test('random among equals: each draw picks its own backend', () => {
  const backends = [backend('a'), backend('b'), backend('c'), remaining(backend('d'), 10)];
  assert.equal(pick(backends, { random: 0 }), 'a');
  assert.equal(pick(backends, { random: 0.34 }), 'b');
  assert.equal(pick(backends, { random: 0.67 }), 'c');
  assert.equal(pick(backends, { random: 0.9999 }), 'c');
  const equalKnown = [remaining(backend('x'), 700), remaining(backend('y'), 700), remaining(backend('z'), 100)];
  assert.equal(pick(equalKnown, { random: 0.2 }), 'x');
  assert.equal(pick(equalKnown, { random: 0.7 }), 'y');
});

test('a single candidate is chosen without asking for a random number', () => {
  let draws = 0;
  const chosen = selectBackend([backend('only')], 'chat', none, now, () => {
    draws++;
    return 0.5;
  });
  assert.equal(chosen?.id, 'only');
  assert.equal(draws, 0);
});

test('state is per deployment: a cooling chat deployment does not exclude the backend for embedding', () => {
  const a = backend('a', 1);
  const b = backend('b', 2);
  a.deployment('chat').coolDown('throttled', 30_000, now);
  assert.equal(pick([a, b], { deployment: 'chat' }), 'b');
  assert.equal(pick([a, b], { deployment: 'embedding' }), 'a');
  remaining(a, 1, 'chat');
  const c = backend('c', 1);
  remaining(c, 5, 'embedding');
  assert.equal(pick([a, c], { deployment: 'embedding' }), 'a', "a's chat headroom says nothing about its embedding");
});

test('a backend-wide break excludes every deployment of that backend', () => {
  const a = backend('a', 1);
  const b = backend('b', 2);
  a.brokenUntil = now + 1;
  assert.equal(pick([a, b], { deployment: 'chat' }), 'b');
  assert.equal(pick([a, b], { deployment: 'embedding' }), 'b');
});

test('exhaustion: 429 when any backend is only throttled, with the time until the soonest frees', () => {
  const a = backend('a');
  const b = backend('b');
  a.deployment('chat').coolDown('throttled', 20_000, now);
  b.deployment('chat').coolDown('broken', 4000, now);
  assert.deepEqual(exhaustion([a, b], 'chat', now), { status: 429, retryAfterMs: 4000 });
});

test('exhaustion: 503 when every backend is broken', () => {
  const a = backend('a');
  const b = backend('b');
  a.brokenUntil = now + 7000;
  b.deployment('chat').coolDown('broken', 3000, now);
  assert.deepEqual(exhaustion([a, b], 'chat', now), { status: 503, retryAfterMs: 3000 });
});

test('exhaustion: a throttled deployment on a broken backend counts as broken', () => {
  const a = backend('a');
  a.deployment('chat').coolDown('throttled', 5000, now);
  a.brokenUntil = now + 8000;
  assert.deepEqual(exhaustion([a], 'chat', now), { status: 503, retryAfterMs: 8000 });
});

test('exhaustion: a throttle that has ended does not count; other deployments do not count', () => {
  const a = backend('a');
  a.deployment('chat').coolDown('throttled', 1000, now - 2000);
  a.deployment('embedding').coolDown('throttled', 9000, now);
  a.brokenUntil = now + 6000;
  assert.deepEqual(exhaustion([a], 'chat', now), { status: 503, retryAfterMs: 6000 });
});

test('exhaustion: every backend tried but none cooling means retry now', () => {
  assert.deepEqual(exhaustion([backend('a'), backend('b')], 'chat', now), { status: 503, retryAfterMs: 0 });
  assert.deepEqual(exhaustion([], 'chat', now), { status: 503, retryAfterMs: 0 });
});
