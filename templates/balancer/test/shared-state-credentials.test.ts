// The Entra ID credentials provider of the shared store: renews the sign-in before the token expires, and a
// new subscription (node-redis subscribes again at each reconnection's handshake, without disposing the one
// it had) ends the previous one, so a reconnection leaves no renewal loop behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessToken } from '../src/backend-token.js';
import { entraCredentialsProvider } from '../src/shared-state/credentials.js';

/** Polls until `probe` holds (a deadline, no fixed sleep). */
async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('renews before expiry, and a new subscription ends the one before', async () => {
  let issued = 0;
  const fetchToken = (): Promise<AccessToken> => Promise.resolve({ token: `token-${++issued}`, expiresOnTimestamp: Date.now() + 2000 });
  const errors: unknown[] = [];
  const provider = entraCredentialsProvider({ clientId: undefined, username: 'object-id', onError: (e) => errors.push(e), fetchToken });
  const heard = { first: [] as string[], second: [] as string[] };
  const listener = (into: string[]) => ({ onNext: (c: { password?: string }) => into.push(c.password ?? ''), onError: () => undefined });

  const [credentials, first] = await provider.subscribe(listener(heard.first));
  assert.deepEqual(credentials, { username: 'object-id', password: 'token-1' });
  // A reconnection: node-redis subscribes again and keeps no handle on the first subscription.
  const [again, second] = await provider.subscribe(listener(heard.second));
  assert.equal(again.password, 'token-2');
  try {
    await until('two renewals of the second subscription', () => heard.second.length >= 2);
    assert.deepEqual(heard.first, [], 'the first subscription renews no more');
    assert.ok(heard.second.every((password) => /^token-\d+$/.test(password)));
    assert.deepEqual(errors, []);
  } finally {
    first.dispose();
    second.dispose();
  }
});
