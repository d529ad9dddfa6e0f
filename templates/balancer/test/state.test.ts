import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendState, DeploymentState, headroomTtlMs, maxCandidateDeployments, maxKnownDeployments } from '../src/state.js';

function backend(): BackendState {
  return new BackendState({ id: '1', url: new URL('https://one.openai.azure.com/'), priority: 1, apiKey: 'k', deploymentName: undefined });
}

test('reserve() counts the request and takes the estimate off known remaining quota', () => {
  const state = new DeploymentState('chat');
  state.observeRemaining(1000, 10, 0);
  state.reserve(300, 0);
  assert.equal(state.requests, 1);
  assert.equal(state.remainingTokens, 700);
  assert.equal(state.remainingRequests, 9);
  state.reserve(800, 0);
  assert.equal(state.requests, 2);
  assert.equal(state.remainingTokens, -100);
  assert.equal(state.remainingRequests, 8);
});

test('reserve() leaves unknown quota unknown', () => {
  const state = new DeploymentState('chat');
  state.reserve(300, 0);
  assert.equal(state.requests, 1);
  assert.equal(state.remainingTokens, undefined);
  assert.equal(state.remainingRequests, undefined);
  assert.equal(state.headroom(0), -Infinity, 'unknown and waiting for its answer: last choice');
  state.answered();
  assert.equal(state.headroom(0), Infinity, 'answered: unknown again, worth trying');
});

test('observeRemaining() records what is given and when; nothing given changes nothing', () => {
  const state = new DeploymentState('chat');
  state.observeRemaining(5000, 20, 1000);
  assert.deepEqual([state.remainingTokens, state.remainingRequests, state.observedAt], [5000, 20, 1000]);
  state.observeRemaining(undefined, undefined, 2000);
  assert.deepEqual([state.remainingTokens, state.remainingRequests, state.observedAt], [5000, 20, 1000]);
  state.observeRemaining(4000, undefined, 3000);
  assert.deepEqual([state.remainingTokens, state.observedAt], [4000, 3000]);
  state.observeRemaining(undefined, 7, 4000);
  assert.deepEqual([state.remainingTokens, state.remainingRequests, state.observedAt], [4000, 7, 4000]);
});

test('headroom() is the remaining tokens while the observation is fresh, Infinity after the TTL', () => {
  const state = new DeploymentState('chat');
  assert.equal(state.headroom(0), Infinity);
  state.observeRemaining(1234, 5, 10_000);
  assert.equal(state.headroom(10_000), 1234);
  assert.equal(state.headroom(10_000 + headroomTtlMs), 1234);
  assert.equal(state.headroom(10_000 + headroomTtlMs + 1), Infinity);
  state.observeRemaining(999, undefined, 10_000 + headroomTtlMs + 1);
  assert.equal(state.headroom(10_000 + headroomTtlMs + 1), 999, 'a new observation makes it known again');
});

test('a used-up request budget makes the deployment wait, whatever tokens remain; headroom ranks by tokens', () => {
  const b = backend();
  b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: 50_000, requests: 1 }, 0);
  const state = b.deployment('chat');
  assert.equal(state.requestsFreeAt(0), 0);
  const answered = b.reserve('chat', 10, 1);
  assert.equal(state.remainingRequests, 0);
  assert.equal(state.requestsFreeAt(1), 10_100, 'a window (and its 1 % margin) after the request the reading came with');
  assert.equal(state.headroom(1), 49_990);
  answered();
  assert.equal(state.headroom(headroomTtlMs + 1), Infinity, 'stale: unknown again');
});

test('negative remaining-* values are sentinels (the Responses API sends -1): nothing is known', () => {
  const state = new DeploymentState('chat');
  state.observeRemaining(-1, -1, 0);
  assert.deepEqual([state.remainingTokens, state.remainingRequests], [undefined, undefined]);
  assert.equal(state.requestsFreeAt(0), 0);
  assert.equal(state.headroom(0), Infinity);
});

test('isAvailable() once the cooldown has passed', () => {
  const state = new DeploymentState('chat');
  assert.equal(state.isAvailable(0), true);
  state.coolDown('throttled', 5000, 1000);
  assert.equal(state.isAvailable(5999), false);
  assert.equal(state.isAvailable(6000), true);
});

test('coolDown() never shortens an existing cooldown, but extends it', () => {
  const state = new DeploymentState('chat');
  state.coolDown('throttled', 30_000, 0);
  assert.equal(state.cooldownUntil, 30_000);
  state.coolDown('throttled', 1000, 5000);
  assert.equal(state.cooldownUntil, 30_000);
  state.coolDown('throttled', 40_000, 5000);
  assert.equal(state.cooldownUntil, 45_000);
});

test('recordSuccess() closes a broken circuit and resets the failure count', () => {
  const state = new DeploymentState('chat');
  state.consecutiveFailures = 3;
  state.coolDown('broken', 8000, 0);
  state.recordSuccess();
  assert.equal(state.consecutiveFailures, 0);
  assert.equal(state.cooldownUntil, 0);
  assert.equal(state.isAvailable(1), true);
});

test('recordSuccess() keeps a throttle cooldown (a request admitted earlier may still succeed)', () => {
  const state = new DeploymentState('chat');
  state.consecutiveFailures = 2;
  state.coolDown('throttled', 20_000, 0);
  state.recordSuccess();
  assert.equal(state.consecutiveFailures, 0);
  assert.equal(state.cooldownUntil, 20_000);
  assert.equal(state.isAvailable(1), false);
});

test('a shorter broken mark inside a throttle cooldown does not let recordSuccess() lift the throttle', () => {
  const state = new DeploymentState('chat');
  state.coolDown('throttled', 30_000, 0); // 429: retry after 30 s
  state.coolDown('broken', 2000, 100); // a concurrent request got a 500
  assert.equal(state.cooldownUntil, 30_000);
  state.recordSuccess(); // a request admitted before the 429 completes
  assert.equal(state.cooldownUntil, 30_000, 'the 429 still holds');
  assert.equal(state.cooldownReason, 'throttled');
});

test('BackendState keeps one state per deployment, shown once the backend answered for it', () => {
  const b = backend();
  assert.equal(b.id, '1');
  const chat = b.deployment('chat');
  assert.equal(b.deployment('chat'), chat);
  assert.notEqual(b.deployment('embedding'), chat);
  assert.deepEqual(b.knownDeployments(), [], 'names no backend answered for are not shown');
  b.confirm('chat', 0);
  b.confirm('embedding', 0);
  assert.equal(b.deployment('chat'), chat, 'the same state, now known');
  assert.deepEqual(
    b.knownDeployments().map((d) => d.deployment),
    ['chat', 'embedding'],
  );
});

test('made-up names are bounded: hidden candidates and known deployments, least recently used first', () => {
  const b = backend();
  for (let i = 0; i < 5000; i++) b.deployment(`junk-${i}`);
  assert.deepEqual(b.knownDeployments(), []);
  b.deployment('chat').coolDown('throttled', 10_000, 0);
  b.confirm('chat', 0);
  for (let i = 0; i < maxKnownDeployments + 50; i++) {
    b.deployment(`answered-${i}`);
    b.confirm(`answered-${i}`, 0);
  }
  const known = b.knownDeployments().map((d) => d.deployment);
  assert.equal(known.length, maxKnownDeployments);
  assert.ok(known.includes('chat'), 'a cooling deployment is never evicted');
  assert.ok(known.includes(`answered-${maxKnownDeployments + 49}`));
  assert.ok(!known.includes('answered-0'), 'the oldest idle one went first');
  for (let i = 0; i < maxCandidateDeployments * 3; i++) b.deployment(`more-${i}`);
  assert.equal(b.availableAt('chat'), 10_000, 'the cooldown survives the flood');
});

test('availableAt() is the later of the backend-wide break and the deployment cooldown', () => {
  const b = backend();
  assert.equal(b.availableAt('chat'), 0);
  assert.deepEqual(b.knownDeployments(), [], 'asking does not create state');
  b.deployment('chat').coolDown('throttled', 10_000, 0);
  assert.equal(b.availableAt('chat'), 10_000);
  assert.equal(b.availableAt('embedding'), 0, 'another deployment is not affected');
  b.brokenUntil = 4000;
  assert.equal(b.availableAt('chat'), 10_000);
  assert.equal(b.availableAt('embedding'), 4000);
  b.brokenUntil = 15_000;
  assert.equal(b.availableAt('chat'), 15_000);
});

test('BackendState.recordSuccess() closes the backend-wide circuit', () => {
  const b = backend();
  b.consecutiveFailures = 4;
  b.brokenUntil = 99_000;
  b.recordSuccess('chat');
  assert.equal(b.consecutiveFailures, 0);
  assert.equal(b.brokenUntil, 0);
  assert.equal(b.availableAt('chat'), 0);
});

test('a success after a longer broken mark keeps the shorter throttle that started before it', () => {
  const state = new DeploymentState('chat');
  state.coolDown('throttled', 10_000, 0);
  state.coolDown('broken', 30_000, 100);
  assert.equal(state.cooldownReason, 'broken');
  state.recordSuccess();
  assert.equal(state.cooldownUntil, 10_000, 'the throttle still holds');
  assert.equal(state.cooldownReason, 'throttled');
});

test('a used-up request budget makes the deployment wait even if tokens were never reported', () => {
  const b = backend();
  b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: undefined, requests: 0 }, 1_000);
  assert.equal(b.deployment('chat').requestsFreeAt(1_000), 11_100);
});

const policy = { defaultCooldownMs: 10_000, circuitBaseMs: 2000, maxCooldownMs: 60_000 };
const now = 1_000_000;

test('recordThrottled() rests the deployment for what the backend asked, else the default, capped', () => {
  const b = backend();
  assert.equal(b.recordThrottled('chat', 5000, now, policy), 5000, 'the signal wins');
  assert.equal(b.availableAt('chat'), now + 5000);
  assert.equal(b.deployment('chat').cooldownReason, 'throttled');
  assert.equal(b.recordThrottled('embedding', undefined, now, policy), 10_000, 'no signal: the default');
  assert.equal(b.availableAt('embedding'), now + 10_000);
  assert.equal(b.recordThrottled('other', 3_600_000, now, policy), 60_000, 'never more than the maximum');
  assert.equal(b.availableAt('other'), now + 60_000);
});

test('recordThrottled() counts a throttle and a failover, never a failure, and leaves the backend open', () => {
  const b = backend();
  b.recordThrottled('chat', undefined, now, policy);
  b.recordThrottled('chat', undefined, now, policy);
  const chat = b.deployment('chat');
  assert.deepEqual([chat.throttled, chat.failovers, chat.errors, chat.consecutiveFailures], [2, 2, 0, 0]);
  assert.deepEqual([b.brokenUntil, b.consecutiveFailures], [0, 0]);
  assert.equal(b.availableAt('embedding'), 0, 'another deployment on the backend is not affected');
});

test('recordThrottled() never shortens a longer throttle', () => {
  const b = backend();
  b.recordThrottled('chat', 30_000, now, policy);
  b.recordThrottled('chat', 1000, now + 100, policy);
  assert.equal(b.availableAt('chat'), now + 30_000);
});

test('recordFailure(deployment scope) opens the deployment circuit, doubling per consecutive failure up to the cap', () => {
  const b = backend();
  const cooldowns = [1, 2, 3, 4, 5, 6, 7].map(() => b.recordFailure('chat', 'deployment', undefined, now, policy));
  assert.deepEqual(cooldowns, [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  const chat = b.deployment('chat');
  assert.deepEqual([chat.consecutiveFailures, chat.errors, chat.failovers, chat.throttled], [7, 7, 7, 0]);
  assert.equal(chat.cooldownReason, 'broken');
  assert.equal(b.availableAt('chat'), now + 60_000);
  assert.deepEqual([b.brokenUntil, b.consecutiveFailures], [0, 0], 'the backend stays open');
  assert.equal(b.availableAt('embedding'), 0, 'another deployment on the backend is not affected');
});

test('recordFailure() takes what the backend asked over the back-off, capped', () => {
  const b = backend();
  assert.equal(b.recordFailure('chat', 'deployment', 7000, now, policy), 7000);
  assert.equal(b.deployment('chat').consecutiveFailures, 1, 'a signalled failure still counts');
  assert.equal(b.recordFailure('chat', 'deployment', undefined, now, policy), 4000, 'the back-off continues from the count');
  assert.equal(b.recordFailure('chat', 'deployment', 3_600_000, now, policy), 60_000);
  assert.equal(b.recordFailure('chat', 'backend', 9000, now, policy), 9000);
});

test('recordFailure(backend scope) breaks the whole backend, with its own doubling count', () => {
  const b = backend();
  b.recordFailure('chat', 'deployment', undefined, now, policy);
  assert.equal(b.recordFailure('chat', 'backend', undefined, now, policy), 2000, 'the deployment count is not the backend count');
  assert.equal(b.recordFailure('embedding', 'backend', undefined, now, policy), 4000);
  assert.equal(b.recordFailure('chat', 'backend', undefined, now, policy), 8000);
  assert.equal(b.consecutiveFailures, 3);
  assert.equal(b.brokenUntil, now + 8000);
  assert.equal(b.availableAt('any-deployment'), now + 8000, 'every deployment waits');
  const chat = b.deployment('chat');
  assert.deepEqual([chat.consecutiveFailures, chat.errors, chat.failovers], [1, 3, 3], 'counted on the deployment it was for');
  assert.equal(chat.brokenUntil, now + 2000, 'the deployment circuit is untouched');
});

test('recordFailure(backend scope) never shortens a longer break', () => {
  const b = backend();
  b.recordFailure('chat', 'backend', 30_000, now, policy);
  b.recordFailure('chat', 'backend', 1000, now + 100, policy);
  assert.equal(b.brokenUntil, now + 30_000);
});

test('recordSuccess() closes the deployment and backend circuits but never lifts a throttle', () => {
  const b = backend();
  b.recordThrottled('chat', 20_000, now, policy);
  b.recordFailure('chat', 'deployment', 40_000, now, policy);
  b.recordFailure('chat', 'backend', undefined, now, policy);
  b.recordFailure('embedding', 'deployment', undefined, now, policy);
  b.recordSuccess('chat');
  const chat = b.deployment('chat');
  assert.deepEqual([chat.consecutiveFailures, chat.brokenUntil, b.consecutiveFailures, b.brokenUntil], [0, 0, 0, 0]);
  assert.equal(b.availableAt('chat'), now + 20_000, 'the throttle holds');
  assert.equal(chat.cooldownReason, 'throttled');
  assert.equal(b.deployment('embedding').consecutiveFailures, 1, "another deployment's circuit is its own");
  assert.equal(b.availableAt('embedding'), now + 2000);
  assert.equal(b.recordFailure('chat', 'deployment', undefined, now, policy), 2000, 'the back-off starts again');
});

test('recordOutcome() counts every outcome and confirms the deployment on any answer but 404', () => {
  const b = backend();
  b.recordOutcome('chat', { kind: 'response', status: 404 }, undefined, now);
  b.recordOutcome('chat', { kind: 'connection-error' }, undefined, now);
  b.recordOutcome('chat', { kind: 'timeout' }, undefined, now);
  assert.deepEqual(b.knownDeployments(), [], 'a 404, a connection error or a timeout says nothing of the deployment');
  b.recordOutcome('chat', { kind: 'response', status: 429 }, undefined, now);
  assert.deepEqual(
    b.knownDeployments().map((d) => d.deployment),
    ['chat'],
  );
  b.recordOutcome('chat', { kind: 'response', status: 200 }, undefined, now);
  b.recordOutcome('chat', { kind: 'response', status: 200 }, undefined, now);
  assert.deepEqual(Object.fromEntries(b.deployment('chat').outcomes), { '404': 1, connection_error: 1, timeout: 1, '429': 1, '200': 2 });
});

test('recordOutcome() notes the remaining quota an answer reported', () => {
  const b = backend();
  b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: 5000, requests: 20 }, now);
  const chat = b.deployment('chat');
  assert.deepEqual([chat.remainingTokens, chat.remainingRequests, chat.observedAt], [5000, 20, now]);
  b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: undefined, requests: undefined }, now + 1);
  assert.equal(chat.observedAt, now, 'headers absent: nothing observed');
  b.recordOutcome('chat', { kind: 'response', status: 429 }, { tokens: 0, requests: undefined }, now + 2);
  assert.deepEqual([chat.remainingTokens, chat.remainingRequests, chat.observedAt], [5000, 20, now], "a 429's reading is not noted: its retry-after says more");
});

test('recordUsage() adds up the tokens responses reported', () => {
  const chat = backend().deployment('chat');
  chat.recordUsage(10, 5);
  chat.recordUsage(3, 7);
  assert.deepEqual([chat.promptTokens, chat.completionTokens], [13, 12]);
});

test('a full request window holds the deployment until the oldest request it admitted is one window old', () => {
  const b = backend();
  const sent = [1000, 2000, 3000];
  for (const at of sent) b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: 5000, requests: 3 - sent.indexOf(at) - 1 }, at + 100, at);
  const chat = b.deployment('chat');
  assert.equal(chat.remainingRequests, 0);
  assert.equal(b.readyAt('chat', 3200), 11_100, 'the request sent at 1000 frees its slot a window (and its 1 % margin) later');
  assert.equal(b.availableAt('chat'), 0, 'a full window is not a cooldown');
  assert.equal(b.readyAt('chat', 11_100), 11_100, 'ready once the slot is free');
  chat.elsewhere = { tokens: 0, requests: 1 };
  assert.equal(b.readyAt('chat', 3200), 12_100, 'one more in flight elsewhere: the second oldest slot');
  chat.elsewhere = { tokens: 0, requests: 5 };
  assert.equal(b.readyAt('chat', 3200), 3000 + 10_100, 'more than it knows of: a whole window after the reading');
  assert.equal(b.readyAt('chat', 3000 + 10_100), 0, 'a reading one window old says nothing');
});

test('room in the window: a reading above what is in flight, or a request sent since that used the last slot', () => {
  const b = backend();
  b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: 5000, requests: 1 }, 1100, 1000);
  assert.equal(b.readyAt('chat', 1200), 0);
  const answered = b.reserve('chat', 10, 1200);
  assert.equal(b.readyAt('chat', 1200), 11_100, 'the request sent at 1200 took the last slot: room when the one sent at 1000 is a window old');
  answered();
});

test("a 429's reading says nothing of the window (its retry-after rests the deployment); another replica's reading counts from when it was taken", () => {
  const b = backend();
  b.recordOutcome('chat', { kind: 'response', status: 429 }, { tokens: 5000, requests: 0 }, 1100, 1000);
  assert.equal(b.readyAt('chat', 1200), 0);
  const other = backend();
  other.deployment('chat').observeSharedReading(5000, 0, 4000);
  assert.equal(other.readyAt('chat', 4100), 14_100);
});

test('the request window follows REQUEST_WINDOW_SECONDS', () => {
  const b = new BackendState({ id: '1', url: new URL('https://one.openai.azure.com/'), priority: 1, apiKey: 'k', deploymentName: undefined }, 1000);
  b.recordOutcome('chat', { kind: 'response', status: 200 }, { tokens: 5000, requests: 0 }, 110, 100);
  assert.equal(b.readyAt('chat', 200), 1110);
});
