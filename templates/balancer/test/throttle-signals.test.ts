import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cooldownFromSignals, retryAfterMs, type Headers } from '../src/throttle-signals.js';

const now = Date.parse('2025-06-01T12:00:00Z');
const inTenSeconds = new Date(now + 10_000).toUTCString(); // IMF-fixdate, whole seconds
const tenSecondsAgo = new Date(now - 10_000).toUTCString();
const body429 =
  '{"error":{"code":"RateLimitReached","message":"Your requests to chat for gpt-4o in East US have exceeded the token rate limit ' +
  'for your current OpenAI S0 pricing tier. Please retry after 43 seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease."}}';

/** Every signal at once, each with a different value, so the winner is identifiable by its value. */
const all: Headers = {
  'retry-after-ms': '1500',
  'x-ms-retry-after-ms': '2500',
  'retry-after': '3',
  'x-ratelimit-reset-requests': '4',
  'x-ratelimit-reset-tokens': '5',
  'x-rate-limit-reset-tokens': '6',
};

function without(...names: string[]): Headers {
  return Object.fromEntries(Object.entries(all).filter(([name]) => !names.includes(name)));
}

test('precedence: each signal wins only when every stronger one is absent', () => {
  const order: [string, number][] = [
    ['retry-after-ms', 1500],
    ['x-ms-retry-after-ms', 2500],
    ['retry-after', 3000],
    ['x-ratelimit-reset-requests', 4000],
    ['x-ratelimit-reset-tokens', 5000],
    ['x-rate-limit-reset-tokens', 6000],
  ];
  order.forEach(([source, ms], index) => {
    const stronger = order.slice(0, index).map(([name]) => name);
    assert.deepEqual(cooldownFromSignals(without(...stronger), body429, now), { ms, source }, `with ${stronger.join(', ') || 'nothing'} removed`);
  });
  assert.deepEqual(cooldownFromSignals({}, body429, now), { ms: 43_000, source: 'body' });
  assert.equal(cooldownFromSignals({}, undefined, now), undefined);
  assert.equal(cooldownFromSignals({}, '{"error":{"code":"500","message":"Internal server error"}}', now), undefined);
  assert.equal(cooldownFromSignals({ 'content-type': 'application/json' }, '', now), undefined);
});

test('Retry-After as an HTTP date beats the reset headers, and yields the time until that date', () => {
  const signal = cooldownFromSignals({ 'retry-after': inTenSeconds, 'x-ratelimit-reset-requests': '4' }, undefined, now);
  assert.deepEqual(signal, { ms: 10_000, source: 'retry-after' });
});

test('an HTTP date in the past is no signal and falls through to the next one', () => {
  assert.equal(retryAfterMs(tenSecondsAgo, now), undefined);
  assert.equal(retryAfterMs(new Date(now).toUTCString(), now), undefined); // exactly now: nothing to wait for
  assert.deepEqual(cooldownFromSignals({ 'retry-after': tenSecondsAgo, 'x-ratelimit-reset-tokens': '7' }, undefined, now), {
    ms: 7000,
    source: 'x-ratelimit-reset-tokens',
  });
});

test('sentinels 0 and -1 are skipped and fall through to the next signal', () => {
  for (const sentinel of ['0', '-1', '0.0', '-0.5']) {
    assert.deepEqual(
      cooldownFromSignals(
        {
          'retry-after-ms': sentinel,
          'x-ms-retry-after-ms': sentinel,
          'retry-after': sentinel,
          'x-ratelimit-reset-requests': sentinel,
          'x-ratelimit-reset-tokens': '2',
        },
        undefined,
        now,
      ),
      { ms: 2000, source: 'x-ratelimit-reset-tokens' },
      `sentinel ${sentinel}`,
    );
  }
  // The Responses API's all-sentinel headers: nothing usable, so the body decides.
  const responsesApi = { 'x-ratelimit-limit-tokens': '-1', 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-reset-tokens': '0' };
  assert.deepEqual(cooldownFromSignals(responsesApi, body429, now), { ms: 43_000, source: 'body' });
  assert.equal(cooldownFromSignals(responsesApi, undefined, now), undefined);
});

test('garbage values are skipped and fall through', () => {
  for (const garbage of ['soon', '', '  ', '1s', '6m0s', '20ms', '1e3', '0x10', 'NaN', 'Infinity', '1,5']) {
    assert.deepEqual(
      cooldownFromSignals(
        {
          'retry-after-ms': garbage,
          'x-ms-retry-after-ms': garbage,
          'retry-after': garbage,
          'x-ratelimit-reset-requests': garbage,
          'x-ratelimit-reset-tokens': garbage,
          'x-rate-limit-reset-tokens': '9',
        },
        undefined,
        now,
      ),
      { ms: 9000, source: 'x-rate-limit-reset-tokens' },
      `garbage ${JSON.stringify(garbage)}`,
    );
  }
});

test('a zero in the body is skipped too', () => {
  assert.equal(cooldownFromSignals({}, 'Please retry after 0 seconds.', now), undefined);
});

test('fractional values: milliseconds as given, seconds scaled to milliseconds', () => {
  assert.deepEqual(cooldownFromSignals({ 'retry-after-ms': '250.5' }, undefined, now), { ms: 250.5, source: 'retry-after-ms' });
  assert.deepEqual(cooldownFromSignals({ 'x-ms-retry-after-ms': '0.5' }, undefined, now), { ms: 0.5, source: 'x-ms-retry-after-ms' });
  assert.deepEqual(cooldownFromSignals({ 'retry-after': '1.5' }, undefined, now), { ms: 1500, source: 'retry-after' });
  assert.deepEqual(cooldownFromSignals({ 'x-ratelimit-reset-tokens': '0.25' }, undefined, now), { ms: 250, source: 'x-ratelimit-reset-tokens' });
  assert.deepEqual(cooldownFromSignals({}, 'Please retry after 2.5 seconds.', now), { ms: 2500, source: 'body' });
});

test('whitespace around a number is tolerated', () => {
  assert.deepEqual(cooldownFromSignals({ 'retry-after-ms': ' 1200 ' }, undefined, now), { ms: 1200, source: 'retry-after-ms' });
  assert.equal(retryAfterMs(' 7 ', now), 7000);
});

test('array header values: the first value counts', () => {
  assert.deepEqual(cooldownFromSignals({ 'retry-after-ms': ['800', '9000'] }, undefined, now), { ms: 800, source: 'retry-after-ms' });
  assert.deepEqual(cooldownFromSignals({ 'retry-after': ['2', '30'] }, undefined, now), { ms: 2000, source: 'retry-after' });
  assert.deepEqual(cooldownFromSignals({ 'retry-after-ms': [], 'x-ratelimit-reset-requests': ['3'] }, undefined, now), {
    ms: 3000,
    source: 'x-ratelimit-reset-requests',
  });
});

test('body wordings: "retry after N seconds" case-insensitively, singular or plural', () => {
  const legacy =
    'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-01-preview have exceeded token rate limit ' +
    'of your current OpenAI S0 pricing tier. Please retry after 37 seconds.';
  assert.deepEqual(cooldownFromSignals({}, legacy, now), { ms: 37_000, source: 'body' });
  assert.deepEqual(cooldownFromSignals({}, 'RETRY AFTER 1 SECOND', now), { ms: 1000, source: 'body' });
  assert.deepEqual(cooldownFromSignals({}, 'Please retry after 86400 seconds.', now), { ms: 86_400_000, source: 'body' });
  assert.equal(cooldownFromSignals({}, 'Rate limit is exceeded. Try again in 5 seconds.', now), undefined);
});

test('retryAfterMs: delay-seconds, HTTP dates, and nothing else', () => {
  assert.equal(retryAfterMs(undefined, now), undefined);
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs(inTenSeconds, now), 10_000);
  assert.equal(retryAfterMs('-5', now), undefined); // a negative number is not read as a date
  assert.equal(retryAfterMs('0', now), undefined);
  assert.equal(retryAfterMs('2026', now), 2_026_000); // a bare number is seconds, never a year
  assert.equal(retryAfterMs('not a date', now), undefined);
});
