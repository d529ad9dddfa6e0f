import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, requestBudget } from '../../src/simulator/rate-limiter.js';

function fakeClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('request budget is RPM/6 per 10 s, at least 1', () => {
  assert.equal(requestBudget(30_000), 30);
  assert.equal(requestBudget(10_000), 10);
  assert.equal(requestBudget(1_000), 1);
  assert.equal(requestBudget(100_000, 1), 16); // 100 RPM → 16.6 per 10 s
  assert.equal(requestBudget(500), 1);
});

test('the token window refills each entry exactly 60 s after its admission', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 600, clock.now); // generous request budget: only tokens matter
  assert.equal(limiter.tryAdmit(400).admitted, true);
  clock.advance(20_000);
  assert.equal(limiter.tryAdmit(400).admitted, true);
  const refused = limiter.tryAdmit(400);
  assert.equal(refused.admitted, false);
  assert.ok(!refused.admitted && refused.reason === 'tokens');
  assert.equal(!refused.admitted && refused.retryAfterMs, 40_000); // the first entry expires at t=60 s
  assert.equal(refused.remainingTokens, 200);

  clock.advance(39_999);
  assert.equal(limiter.tryAdmit(400).admitted, false);
  clock.advance(1);
  const admitted = limiter.tryAdmit(400);
  assert.equal(admitted.admitted, true);
  assert.equal(admitted.remainingTokens, 200); // only the first entry came back, not the whole window
});

test('retry-after is the time until the blocking entry expires, not the oldest one', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 600, clock.now);
  limiter.tryAdmit(100); // t=0
  clock.advance(10_000);
  limiter.tryAdmit(500); // t=10
  clock.advance(10_000);
  limiter.tryAdmit(300); // t=20, used 900
  const refused = limiter.tryAdmit(500); // needs 400 back: the 100 (t=60) is not enough, the 500 (t=70) is
  assert.ok(!refused.admitted);
  assert.equal(refused.retryAfterMs, 50_000);
});

test('refused requests cost nothing', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 600, clock.now);
  assert.equal(limiter.tryAdmit(900).admitted, true);
  for (let i = 0; i < 5; i++) assert.equal(limiter.tryAdmit(200).admitted, false);
  assert.equal(limiter.peek().remainingTokens, 100);
  assert.equal(limiter.peek().remainingRequests, limiter.limitRequests - 1);
  assert.equal(limiter.tryAdmit(100).admitted, true);
});

test('the request window is a rolling 10 s window with budget TPM/1000', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(3000, 6, clock.now); // 3 requests per 10 s
  assert.equal(limiter.tryAdmit(1).remainingRequests, 2);
  clock.advance(4_000);
  assert.equal(limiter.tryAdmit(1).remainingRequests, 1);
  assert.equal(limiter.tryAdmit(1).remainingRequests, 0);
  const refused = limiter.tryAdmit(1);
  assert.ok(!refused.admitted);
  assert.equal(refused.reason, 'requests');
  assert.equal(refused.retryAfterMs, 6_000);
  clock.advance(5_999);
  assert.equal(limiter.tryAdmit(1).admitted, false);
  clock.advance(1);
  assert.equal(limiter.tryAdmit(1).admitted, true);
  assert.equal(limiter.tryAdmit(1).admitted, false); // the two at t=4 s are still in the window
});

test('when both windows block, the longer wait is the reason', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 6, clock.now); // 1 request per 10 s
  limiter.tryAdmit(1000);
  const refused = limiter.tryAdmit(10);
  assert.ok(!refused.admitted);
  assert.equal(refused.reason, 'tokens');
  assert.equal(refused.retryAfterMs, 60_000);
  clock.advance(60_000);
  assert.equal(limiter.tryAdmit(10).admitted, true);
  const requests = limiter.tryAdmit(10);
  assert.ok(!requests.admitted);
  assert.equal(requests.reason, 'requests');
});

test('a request larger than the whole TPM is always refused, retry-after = until the window empties', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 600, clock.now);
  const empty = limiter.tryAdmit(1001);
  assert.ok(!empty.admitted);
  assert.equal(empty.oversized, true);
  assert.equal(empty.retryAfterMs, 60_000);
  limiter.tryAdmit(10);
  clock.advance(15_000);
  limiter.tryAdmit(10);
  const busy = limiter.tryAdmit(5000);
  assert.ok(!busy.admitted);
  assert.equal(busy.retryAfterMs, 60_000);
  assert.equal(limiter.peek().remainingTokens, 980);
});

test('time scale divides both windows', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 6, clock.now, 60); // token window 1 s, request window 166.67 ms
  limiter.tryAdmit(1000);
  const refused = limiter.tryAdmit(1);
  assert.ok(!refused.admitted);
  assert.equal(refused.retryAfterMs, 1000);
  clock.advance(1000);
  assert.equal(limiter.tryAdmit(1).admitted, true);
  const requests = limiter.tryAdmit(1);
  assert.ok(!requests.admitted && requests.reason === 'requests');
  assert.ok(Math.abs(requests.retryAfterMs - 10_000 / 60) < 1e-6);
});

test('setLimits keeps what is charged; clear empties the windows', () => {
  const clock = fakeClock();
  const limiter = new RateLimiter(1000, 600, clock.now);
  limiter.tryAdmit(800);
  limiter.setLimits(500);
  assert.equal(limiter.peek().remainingTokens, 0);
  assert.equal(limiter.tryAdmit(1).admitted, false);
  limiter.setLimits(2000);
  assert.equal(limiter.peek().remainingTokens, 1200);
  limiter.clear();
  assert.equal(limiter.peek().remainingTokens, 2000);
});
