import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachedToken, type AccessToken } from '../src/backend-token.js';

const minute = 60_000;

/**
 * A fake credential: each fetch is a promise the test settles by hand, so a refresh can be held
 * "in flight" while other callers arrive. `calls` counts fetches.
 */
class FakeCredential {
  calls = 0;
  private pending: { resolve: (token: AccessToken) => void; reject: (error: Error) => void }[] = [];

  readonly fetch = (): Promise<AccessToken> => {
    this.calls++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };

  issue(token: string, expiresOnTimestamp: number, refreshAfterTimestamp?: number): Promise<void> {
    const next = this.pending.shift();
    assert.ok(next, 'no fetch is waiting');
    next.resolve({ token, expiresOnTimestamp, ...(refreshAfterTimestamp === undefined ? {} : { refreshAfterTimestamp }) });
    return settle();
  }

  fail(message = 'IMDS unavailable'): Promise<void> {
    const next = this.pending.shift();
    assert.ok(next, 'no fetch is waiting');
    next.reject(new Error(message));
    return settle();
  }
}

/** Lets promise callbacks run (the cache updates itself in .then/.finally). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function setup(): { credential: FakeCredential; cache: CachedToken; clock: { now: number } } {
  const credential = new FakeCredential();
  const clock = { now: 0 };
  return { credential, cache: new CachedToken(credential.fetch, () => clock.now), clock };
}

/** A cache holding token "a", valid for 60 minutes from 0, so refreshed at 56 minutes (4 minutes early). */
async function primed(): Promise<ReturnType<typeof setup>> {
  const context = setup();
  const first = context.cache.get();
  await context.credential.issue('a', 60 * minute);
  assert.equal(await first, 'a');
  return context;
}

test('the first call fetches, and waits for the token', async () => {
  const { credential, cache } = setup();
  const first = cache.get();
  const second = cache.get();
  assert.equal(credential.calls, 1, 'concurrent first callers share one fetch');
  await credential.issue('a', 60 * minute);
  assert.deepEqual(await Promise.all([first, second]), ['a', 'a']);
});

test('before the refresh time the cached token is reused without fetching', async () => {
  const { credential, cache, clock } = await primed();
  for (const at of [1, 30 * minute, 56 * minute - 1]) {
    clock.now = at;
    assert.equal(await cache.get(), 'a');
  }
  assert.equal(credential.calls, 1);
});

test('after the refresh time the old token is returned at once and one background refresh starts', async () => {
  const { credential, cache, clock } = await primed();
  clock.now = 56 * minute;
  assert.deepEqual(await Promise.all([cache.get(), cache.get(), cache.get()]), ['a', 'a', 'a']);
  assert.equal(credential.calls, 2, 'exactly one refresh for all callers');
  clock.now = 57 * minute;
  assert.equal(await cache.get(), 'a', 'still the old token while the refresh runs');
  assert.equal(credential.calls, 2);
  await credential.issue('b', 120 * minute);
  assert.equal(await cache.get(), 'b');
  assert.equal(credential.calls, 2);
});

test('after expiry callers wait for the new token', async () => {
  const { credential, cache, clock } = await primed();
  clock.now = 60 * minute;
  let settled = false;
  const waiting = cache.get().then((token) => {
    settled = true;
    return token;
  });
  const alsoWaiting = cache.get();
  await settle();
  assert.equal(settled, false, 'the expired token is not handed out');
  assert.equal(credential.calls, 2);
  await credential.issue('b', 120 * minute);
  assert.deepEqual(await Promise.all([waiting, alsoWaiting]), ['b', 'b']);
});

test('refreshAfterTimestamp is honoured when it comes before expiry', async () => {
  const { credential, cache, clock } = setup();
  const first = cache.get();
  await credential.issue('a', 24 * 60 * minute, 10 * minute);
  await first;
  clock.now = 10 * minute - 1;
  assert.equal(await cache.get(), 'a');
  assert.equal(credential.calls, 1);
  clock.now = 10 * minute;
  assert.equal(await cache.get(), 'a');
  assert.equal(credential.calls, 2);
});

test('refreshAfterTimestamp at or after expiry is ignored', async () => {
  const { credential, cache, clock } = setup();
  const first = cache.get();
  await credential.issue('a', 60 * minute, 60 * minute);
  await first;
  clock.now = 56 * minute - 1;
  await cache.get();
  assert.equal(credential.calls, 1);
  clock.now = 56 * minute;
  await cache.get();
  assert.equal(credential.calls, 2);
});

test('a short-lived token is refreshed half-way through its life', async () => {
  const { credential, cache, clock } = setup();
  const first = cache.get();
  await credential.issue('a', 4 * minute);
  await first;
  clock.now = 2 * minute - 1;
  await cache.get();
  assert.equal(credential.calls, 1);
  clock.now = 2 * minute;
  await cache.get();
  assert.equal(credential.calls, 2);
});

test('a failed refresh keeps the valid token and retries 5 seconds later', async () => {
  const { credential, cache, clock } = await primed();
  clock.now = 57 * minute;
  assert.equal(await cache.get(), 'a');
  await credential.fail();
  clock.now = 57 * minute + 4999;
  assert.equal(await cache.get(), 'a');
  assert.equal(credential.calls, 2, 'no retry yet');
  clock.now = 57 * minute + 5000;
  assert.equal(await cache.get(), 'a');
  assert.equal(credential.calls, 3, 'retried');
  await credential.issue('b', 120 * minute);
  assert.equal(await cache.get(), 'b');
});

test('a refresh that fails just before expiry does not keep serving the token after it expires', async () => {
  const { credential, cache, clock } = await primed();
  clock.now = 60 * minute - 1000;
  assert.equal(await cache.get(), 'a');
  await credential.fail(); // the retry would be due at 60 min + 4 s
  clock.now = 60 * minute + 1;
  const next = cache.get();
  assert.equal(credential.calls, 3, 'an expired token makes the caller fetch');
  await credential.issue('b', 120 * minute);
  assert.equal(await next, 'b');
});

test('a failed first fetch rejects, and the next call tries again', async () => {
  const { credential, cache } = setup();
  const first = assert.rejects(cache.get(), /no managed identity/);
  const second = assert.rejects(cache.get(), /no managed identity/);
  await credential.fail('no managed identity');
  await Promise.all([first, second]);
  const third = cache.get();
  assert.equal(credential.calls, 2);
  await credential.issue('a', 60 * minute);
  assert.equal(await third, 'a');
});

test('after expiry a failed fetch rejects instead of handing out the expired token', async () => {
  const { credential, cache, clock } = await primed();
  clock.now = 61 * minute;
  const next = assert.rejects(cache.get(), /token endpoint down/);
  await credential.fail('token endpoint down');
  await next;
});
