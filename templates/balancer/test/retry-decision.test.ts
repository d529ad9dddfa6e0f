import { test } from 'node:test';
import assert from 'node:assert/strict';
import { circuitBackoffMs, circuitCooldownMs, decide, outcomeLabel, throttleCooldownMs } from '../src/retry-decision.js';

test('2xx, 3xx and 4xx other than 429 go to the client', () => {
  for (const status of [200, 201, 204, 304, 400, 401, 403, 404, 408, 409, 413, 415, 422, 428, 430, 499]) {
    assert.deepEqual(decide({ kind: 'response', status }), { action: 'deliver' }, `status ${status}`);
  }
});

test('429 fails over and marks the deployment throttled', () => {
  assert.deepEqual(decide({ kind: 'response', status: 429 }), { action: 'failover', mark: 'throttled' });
});

test('5xx fails over and marks the deployment broken', () => {
  for (const status of [500, 501, 502, 503, 504, 599]) {
    assert.deepEqual(decide({ kind: 'response', status }), { action: 'failover', mark: 'broken', scope: 'deployment' }, `status ${status}`);
  }
});

test('connection errors and timeouts fail over and mark the whole backend broken', () => {
  assert.deepEqual(decide({ kind: 'connection-error' }), { action: 'failover', mark: 'broken', scope: 'backend' });
  assert.deepEqual(decide({ kind: 'timeout' }), { action: 'failover', mark: 'broken', scope: 'backend' });
});

test('circuit back-off doubles from the base with each consecutive failure', () => {
  assert.equal(circuitBackoffMs(1, 2000, 60_000), 2000);
  assert.equal(circuitBackoffMs(2, 2000, 60_000), 4000);
  assert.equal(circuitBackoffMs(3, 2000, 60_000), 8000);
  assert.equal(circuitBackoffMs(4, 2000, 60_000), 16_000);
  assert.equal(circuitBackoffMs(5, 2000, 60_000), 32_000);
});

test('circuit back-off is capped at the maximum', () => {
  assert.equal(circuitBackoffMs(6, 2000, 60_000), 60_000); // 64 000 uncapped
  assert.equal(circuitBackoffMs(7, 2000, 60_000), 60_000);
  assert.equal(circuitBackoffMs(1, 2000, 1500), 1500); // even the first step
  assert.equal(circuitBackoffMs(5, 1000, 16_000), 16_000); // exactly at the cap
});

test('circuit back-off stays finite for absurd failure counts and starts at the base for 0', () => {
  assert.equal(circuitBackoffMs(10_000, 2000, 60_000), 60_000);
  assert.equal(circuitBackoffMs(Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER), 2 ** 30);
  assert.equal(circuitBackoffMs(0, 2000, 60_000), 2000);
});

test('outcome labels: the HTTP status, connection_error or timeout', () => {
  assert.equal(outcomeLabel({ kind: 'response', status: 200 }), '200');
  assert.equal(outcomeLabel({ kind: 'response', status: 429 }), '429');
  assert.equal(outcomeLabel({ kind: 'connection-error' }), 'connection_error');
  assert.equal(outcomeLabel({ kind: 'timeout' }), 'timeout');
});

const policy = { defaultCooldownMs: 10_000, circuitBaseMs: 2000, maxCooldownMs: 60_000 };

test('a throttle rests for what the backend asked, else the default, never more than the maximum', () => {
  assert.equal(throttleCooldownMs(5000, policy), 5000);
  assert.equal(throttleCooldownMs(undefined, policy), 10_000);
  assert.equal(throttleCooldownMs(3_600_000, policy), 60_000);
  assert.equal(throttleCooldownMs(undefined, { ...policy, defaultCooldownMs: 120_000 }), 60_000, 'the default is capped too');
  assert.equal(throttleCooldownMs(undefined, { ...policy, defaultCooldownMs: 0 }), 0);
});

test('an open circuit rests for what the backend asked, else the back-off for the failure count, never more than the maximum', () => {
  assert.equal(circuitCooldownMs(7000, 5, policy), 7000, 'the signal wins over the back-off');
  assert.deepEqual(
    [1, 2, 3, 6].map((failures) => circuitCooldownMs(undefined, failures, policy)),
    [2000, 4000, 8000, 60_000],
  );
  assert.equal(circuitCooldownMs(3_600_000, 1, policy), 60_000);
});
