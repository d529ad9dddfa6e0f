import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { ClientAuth, presentedKey } from '../src/client-auth.js';

function keysAuth(keys: string[], allowAnonymous: boolean): ClientAuth {
  return new ClientAuth({ clientAuth: 'keys', clientApiKeys: keys, allowAnonymous, entra: undefined });
}

async function allowedBy(auth: ClientAuth, headers: IncomingHttpHeaders): Promise<boolean> {
  return (await auth.check(headers)).ok;
}

const auth = keysAuth(['key-one', 'key-two'], false);

test('a configured key in the api-key header is allowed', async () => {
  assert.equal(await allowedBy(auth, { 'api-key': 'key-one' }), true);
  assert.equal(await allowedBy(auth, { 'api-key': 'key-two' }), true);
  assert.equal(await allowedBy(auth, { 'api-key': ' key-two ' }), true);
});

test('a configured key as a Bearer token is allowed, the scheme in any case', async () => {
  for (const authorization of ['Bearer key-one', 'bearer key-one', 'BEARER key-two', '  Bearer   key-two  ']) {
    assert.equal(await allowedBy(auth, { authorization }), true, authorization);
  }
});

test('a wrong key is refused', async () => {
  for (const key of ['key-three', 'key-on', 'key-one2', 'KEY-ONE', 'key-one,key-two', '']) {
    assert.equal(await allowedBy(auth, { 'api-key': key }), false, `api-key ${JSON.stringify(key)}`);
    assert.equal(await allowedBy(auth, { authorization: `Bearer ${key}` }), false, `Bearer ${JSON.stringify(key)}`);
  }
});

test('other authorization schemes are refused', async () => {
  for (const authorization of ['Basic key-one', 'key-one', 'Bearerkey-one', 'Token key-one']) {
    assert.equal(await allowedBy(auth, { authorization }), false, authorization);
  }
});

test('a missing key is refused', async () => {
  assert.equal(await allowedBy(auth, {}), false);
  assert.equal(await allowedBy(auth, { 'content-type': 'application/json', 'x-api-key': 'key-one' }), false);
  assert.equal(await allowedBy(auth, { 'api-key': '' }), false);
  assert.equal(await allowedBy(auth, { authorization: 'Bearer ' }), false);
});

test('with no keys configured nothing is allowed', async () => {
  const locked = keysAuth([], false);
  assert.equal(await allowedBy(locked, { 'api-key': 'anything' }), false);
  assert.equal(await allowedBy(locked, {}), false);
});

test('anonymous mode allows everyone, with or without a key', async () => {
  const open = keysAuth([], true);
  assert.equal(open.anonymous, true);
  assert.equal(await allowedBy(open, {}), true);
  assert.equal(await allowedBy(open, { 'api-key': 'whatever' }), true);
  assert.equal(await allowedBy(keysAuth(['k'], true), { authorization: 'Bearer wrong' }), true);
});

test('presentedKey: api-key first, then a Bearer token', () => {
  assert.equal(presentedKey({ 'api-key': 'a' }), 'a');
  assert.equal(presentedKey({ authorization: 'Bearer b' }), 'b');
  assert.equal(presentedKey({ 'api-key': 'a', authorization: 'Bearer b' }), 'a');
  assert.equal(presentedKey({ 'api-key': '', authorization: 'Bearer b' }), 'b');
  assert.equal(presentedKey({ authorization: 'Basic dXNlcjpwYXNz' }), undefined);
  assert.equal(presentedKey({}), undefined);
});
