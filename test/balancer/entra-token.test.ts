import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { EntraVerifier, looksLikeJwt, type EntraSettings, type TokenVerdict } from '../../templates/balancer/src/entra-token.js';
import { chatAppId, defaultObjectId, startEntraIssuer, type EntraIssuer } from '../helpers/entra-issuer.js';

const audience = 'https://cognitiveservices.azure.com';
const secondTenant = randomUUID();

function settingsFor(issuer: EntraIssuer, overrides: Partial<EntraSettings> = {}): EntraSettings {
  return {
    tenantIds: [issuer.tenantId, secondTenant],
    audiences: [audience],
    allowedClientIds: [],
    requiredRole: undefined,
    authorityHost: issuer.authorityHost,
    clockSkewSeconds: 60,
    jwksCooldownSeconds: 30,
    ...overrides,
  };
}

function assertAccepted(verdict: TokenVerdict, expected: { clientId: string; tenantId: string }): void {
  assert.deepEqual(verdict, { ok: true, ...expected });
}

/** Refused with `check`, and the message echoes neither the token nor the caller's claims. */
async function assertRefused(verifier: EntraVerifier, token: string, check: string): Promise<string> {
  const verdict = await verifier.verify(token);
  assert.equal(verdict.ok, false, `expected a refusal with check ${check}`);
  if (verdict.ok) throw new Error('unreachable');
  assert.equal(verdict.check, check, verdict.message);
  assert.ok(verdict.message.length > 0);
  assertNoLeak(token, verdict.message);
  return verdict.message;
}

function assertNoLeak(token: string, message: string): void {
  if (token.length >= 8) assert.ok(!message.includes(token), 'the message contains the token');
  for (const segment of token.split('.')) {
    if (segment.length >= 8) assert.ok(!message.includes(segment), 'the message contains a token segment');
  }
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    return;
  }
  for (const name of ['appid', 'azp', 'oid', 'sub', 'roles']) {
    const value = claims[name];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') assert.ok(!message.includes(item), `the message contains the ${name} claim`);
    }
  }
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

describe('Entra token verifier', () => {
  let issuer: EntraIssuer;
  let verifier: EntraVerifier;
  before(async () => {
    issuer = await startEntraIssuer();
    verifier = new EntraVerifier(settingsFor(issuer));
  });
  after(() => issuer.close());

  describe('accepts', () => {
    it('a v1 token as Entra issues it for cognitiveservices, the client being its appid', async () => {
      assertAccepted(await verifier.verify(await issuer.issueToken()), { clientId: chatAppId, tenantId: issuer.tenantId });
    });

    it('a v2 token, the client being its azp', async () => {
      assertAccepted(await verifier.verify(await issuer.issueToken({ version: 2 })), { clientId: chatAppId, tenantId: issuer.tenantId });
    });

    it('a token of the second allowed tenant, in both versions', async () => {
      for (const version of [1, 2] as const) {
        assertAccepted(await verifier.verify(await issuer.issueToken({ tid: secondTenant, version })), { clientId: chatAppId, tenantId: secondTenant });
      }
    });

    it('a token just expired or not yet valid, within the clock skew', async () => {
      const expected = { clientId: chatAppId, tenantId: issuer.tenantId };
      assertAccepted(await verifier.verify(await issuer.issueToken({ expiresInSeconds: -30 })), expected);
      assertAccepted(await verifier.verify(await issuer.issueToken({ notBeforeSeconds: 30 })), expected);
    });

    it('a token whose audience list contains an accepted audience', async () => {
      const token = await issuer.issueToken({ aud: ['https://other.example', audience] });
      assert.equal((await verifier.verify(token)).ok, true);
    });
  });

  describe('refuses', () => {
    it('an expired token', async () => {
      await assertRefused(verifier, await issuer.issueToken({ expiresInSeconds: -120 }), 'expired');
    });

    it('a token not yet valid beyond the clock skew', async () => {
      await assertRefused(verifier, await issuer.issueToken({ notBeforeSeconds: 300 }), 'not-yet-valid');
    });

    it('a token for another audience, naming the expected one', async () => {
      const message = await assertRefused(verifier, await issuer.issueToken({ aud: 'https://management.azure.com' }), 'audience');
      assert.equal(message, `The token's audience is not accepted by this balancer (expected ${audience}).`);
    });

    it('a token of a tenant that is not allowed, before fetching any key', async () => {
      const before = issuer.jwksRequests();
      await assertRefused(verifier, await issuer.issueToken({ tid: randomUUID() }), 'tenant');
      assert.equal(issuer.jwksRequests(), before);
    });

    it('a token whose issuer is another tenant although its tid is allowed', async () => {
      const token = await issuer.issueToken({ iss: `https://sts.windows.net/${randomUUID()}/` });
      const message = await assertRefused(verifier, token, 'issuer');
      assert.match(message, new RegExp(issuer.tenantId));
    });

    it('a token signed with a key that is not in the JWKS, under the current kid', async () => {
      await assertRefused(verifier, await issuer.issueToken({ signWith: 'stranger' }), 'signature');
    });

    it('an unsigned token (alg none)', async () => {
      const token = await issuer.issueToken({ alg: 'none' });
      assert.ok(token.endsWith('.'));
      await assertRefused(verifier, token, 'algorithm');
    });

    it('an HS256 token carrying the kid of the real key, and an ES256 token', async () => {
      await assertRefused(verifier, await issuer.issueToken({ alg: 'HS256' }), 'algorithm');
      await assertRefused(verifier, await issuer.issueToken({ alg: 'ES256' }), 'algorithm');
    });

    it('malformed tokens', async () => {
      const header = b64url(JSON.stringify({ alg: 'RS256', kid: 'k' }));
      const payload = b64url(JSON.stringify({ tid: issuer.tenantId, exp: 2_000_000_000 }));
      const garbage = `${'A'.repeat(10_000)}.${'B'.repeat(10_000)}.${'C'.repeat(500)}`;
      const tokens = [
        'abc',
        'a.b',
        '',
        garbage,
        `${b64url('not json')}.${payload}.c2ln`,
        `${header}.${b64url('not json')}.c2ln`,
        `${header}.${payload}.sig.extra`,
        `${b64url(JSON.stringify({ alg: 'RS256' }))}.${payload}.c2ln`,
        `${header}.${b64url(JSON.stringify({ exp: 2_000_000_000 }))}.c2ln`,
      ];
      for (const token of tokens) await assertRefused(verifier, token, 'malformed');
    });
  });

  describe('authorization', () => {
    it('accepts a listed client and refuses any other with check client', async () => {
      const listed = new EntraVerifier(settingsFor(issuer, { allowedClientIds: [chatAppId.toUpperCase()] }));
      assertAccepted(await listed.verify(await issuer.issueToken()), { clientId: chatAppId, tenantId: issuer.tenantId });
      assertAccepted(await listed.verify(await issuer.issueToken({ version: 2 })), { clientId: chatAppId, tenantId: issuer.tenantId });
      await assertRefused(listed, await issuer.issueToken({ appid: randomUUID() }), 'client');
      await assertRefused(listed, await issuer.issueToken({ version: 2, azp: randomUUID() }), 'client');
    });

    it('accepts a client listed by its object id', async () => {
      const byOid = new EntraVerifier(settingsFor(issuer, { allowedClientIds: [defaultObjectId] }));
      const verdict = await byOid.verify(await issuer.issueToken({ appid: randomUUID() }));
      assert.equal(verdict.ok, true);
    });

    it('requires the configured role', async () => {
      const role = 'LoadBalancer.Use';
      const withRole = new EntraVerifier(settingsFor(issuer, { requiredRole: role }));
      assert.equal((await withRole.verify(await issuer.issueToken({ roles: [role] }))).ok, true);
      await assertRefused(withRole, await issuer.issueToken(), 'role');
      await assertRefused(withRole, await issuer.issueToken({ roles: ['Reader'] }), 'role');
    });
  });

  describe('key rotation', () => {
    let rotating: EntraIssuer;
    before(async () => {
      rotating = await startEntraIssuer();
    });
    after(() => rotating.close());

    it('fetches the JWKS again once for a new kid, then serves it from the cache', async () => {
      const eager = new EntraVerifier(settingsFor(rotating, { jwksCooldownSeconds: 0 }));
      const patient = new EntraVerifier(settingsFor(rotating, { jwksCooldownSeconds: 30 }));
      const oldToken = await rotating.issueToken();
      assert.equal((await eager.verify(oldToken)).ok, true);
      assert.equal((await patient.verify(oldToken)).ok, true);
      assert.equal((await eager.verify(oldToken)).ok, true);
      assert.equal(rotating.jwksRequests(), 2, 'one fetch per verifier');

      await rotating.rotateKeys();
      const newToken = await rotating.issueToken();
      assertAccepted(await eager.verify(newToken), { clientId: chatAppId, tenantId: rotating.tenantId });
      assert.equal(rotating.jwksRequests(), 3, 'the unknown kid caused exactly one refetch');
      assert.equal((await eager.verify(newToken)).ok, true);
      assert.equal(rotating.jwksRequests(), 3, 'the same kid again is served from the cache');

      // jose's cooldown counts from the last successful fetch: within it an unknown kid is refused unfetched.
      await assertRefused(patient, newToken, 'signature');
      assert.equal(rotating.jwksRequests(), 3);
    });
  });

  describe('signing keys unavailable', () => {
    let down: EntraIssuer;
    let silent: Server;
    let silentHost: string;
    let closedHost: string;
    before(async () => {
      down = await startEntraIssuer();
      down.setAvailable(false);
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentHost = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      closedHost = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((resolve) => closed.close(resolve));
    });
    after(async () => {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      await down.close();
    });

    it('answers keys-unavailable at once when the JWKS answers 503, and recovers when it is back', async () => {
      // A fetch timeout far longer than any stall: an answer before it came from the 503, not from giving up.
      const verifier = new EntraVerifier(settingsFor(down), { fetchTimeoutMs: 20_000 });
      const token = await down.issueToken();
      const started = performance.now();
      const message = await assertRefused(verifier, token, 'keys-unavailable');
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 20_000, `resolved by the 503 after ${Math.round(elapsed)} ms, not by the fetch timeout`);
      assert.match(message, new RegExp(down.tenantId));
      down.setAvailable(true);
      assert.equal((await verifier.verify(token)).ok, true);
      down.setAvailable(false);
    });

    it('gives up on a JWKS that never answers after the fetch timeout', async () => {
      const verifier = new EntraVerifier(settingsFor(down, { authorityHost: silentHost }), { fetchTimeoutMs: 500 });
      const started = performance.now();
      await assertRefused(verifier, await down.issueToken(), 'keys-unavailable');
      const elapsed = performance.now() - started;
      // At the timeout, not before it; the upper bound only says it did not hang (a loaded machine stalls).
      assert.ok(elapsed >= 400 && elapsed < 15_000, `gave up after ${Math.round(elapsed)} ms`);
    });

    it('answers keys-unavailable when the authority refuses the connection', async () => {
      const verifier = new EntraVerifier(settingsFor(down, { authorityHost: closedHost }), { fetchTimeoutMs: 500 });
      await assertRefused(verifier, await down.issueToken(), 'keys-unavailable');
    });
  });

  describe('looksLikeJwt', () => {
    it('tells a JWT from a client API key', async () => {
      assert.equal(looksLikeJwt(await issuer.issueToken()), true);
      assert.equal(looksLikeJwt(await issuer.issueToken({ alg: 'none' })), true);
      assert.equal(looksLikeJwt('0123456789abcdef0123456789abcdef'), false);
      assert.equal(looksLikeJwt('sk-proj.abc.def'), false);
      assert.equal(looksLikeJwt(`${b64url('{"typ":"JWT"}')}.${b64url('{}')}.c2ln`), false);
      assert.equal(looksLikeJwt(`${b64url('[1]')}.${b64url('{}')}.c2ln`), false);
      assert.equal(looksLikeJwt(''), false);
    });
  });
});
