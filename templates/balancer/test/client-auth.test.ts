import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientAuth, presentedKey } from '../src/client-auth.js';

const auth = new ClientAuth(['key-one', 'key-two'], false);

test('a configured key in the api-key header is allowed', () => {
  assert.equal(auth.isAllowed({ 'api-key': 'key-one' }), true);
  assert.equal(auth.isAllowed({ 'api-key': 'key-two' }), true);
  assert.equal(auth.isAllowed({ 'api-key': ' key-two ' }), true);
});

test('a configured key as a Bearer token is allowed, the scheme in any case', () => {
  for (const authorization of ['Bearer key-one', 'bearer key-one', 'BEARER key-two', '  Bearer   key-two  ']) {
    assert.equal(auth.isAllowed({ authorization }), true, authorization);
  }
});

test('a wrong key is refused', () => {
  for (const key of ['key-three', 'key-on', 'key-one2', 'KEY-ONE', 'key-one,key-two', '']) {
    assert.equal(auth.isAllowed({ 'api-key': key }), false, `api-key ${JSON.stringify(key)}`);
    assert.equal(auth.isAllowed({ authorization: `Bearer ${key}` }), false, `Bearer ${JSON.stringify(key)}`);
  }
});

test('other authorization schemes are refused', () => {
  for (const authorization of ['Basic key-one', 'key-one', 'Bearerkey-one', 'Token key-one']) {
    assert.equal(auth.isAllowed({ authorization }), false, authorization);
  }
});

test('a missing key is refused', () => {
  assert.equal(auth.isAllowed({}), false);
  assert.equal(auth.isAllowed({ 'content-type': 'application/json', 'x-api-key': 'key-one' }), false);
  assert.equal(auth.isAllowed({ 'api-key': '' }), false);
  assert.equal(auth.isAllowed({ authorization: 'Bearer ' }), false);
});

test('with no keys configured nothing is allowed', () => {
  const locked = new ClientAuth([], false);
  assert.equal(locked.isAllowed({ 'api-key': 'anything' }), false);
  assert.equal(locked.isAllowed({}), false);
});

test('anonymous mode allows everyone, with or without a key', () => {
  const open = new ClientAuth([], true);
  assert.equal(open.anonymous, true);
  assert.equal(open.isAllowed({}), true);
  assert.equal(open.isAllowed({ 'api-key': 'whatever' }), true);
  assert.equal(new ClientAuth(['k'], true).isAllowed({ authorization: 'Bearer wrong' }), true);
});

test('presentedKey: api-key first, then a Bearer token', () => {
  assert.equal(presentedKey({ 'api-key': 'a' }), 'a');
  assert.equal(presentedKey({ authorization: 'Bearer b' }), 'b');
  assert.equal(presentedKey({ 'api-key': 'a', authorization: 'Bearer b' }), 'a');
  assert.equal(presentedKey({ 'api-key': '', authorization: 'Bearer b' }), 'b');
  assert.equal(presentedKey({ authorization: 'Basic dXNlcjpwYXNz' }), undefined);
  assert.equal(presentedKey({}), undefined);
});
