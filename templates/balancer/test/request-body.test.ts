import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectBody, withModel } from '../src/request-body.js';

const json = 'application/json';
const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const messages = [{ role: 'user', content: 'What is the meaning of life? '.repeat(50) }];

test('model: a non-empty string model is the deployment', () => {
  assert.equal(inspectBody(body({ model: 'chat', messages }), json).model, 'chat');
  assert.equal(inspectBody(body({ model: '', messages }), json).model, undefined);
  assert.equal(inspectBody(body({ model: 42, messages }), json).model, undefined);
  assert.equal(inspectBody(body({ messages }), json).model, undefined);
});

test('content types: any JSON type, or none, is parsed; others are not', () => {
  const payload = body({ model: 'chat', max_tokens: 100 });
  for (const type of [json, 'application/json; charset=utf-8', 'application/merge-patch+json', undefined]) {
    assert.deepEqual(inspectBody(payload, type), { model: 'chat', estimatedTokens: 100 }, String(type));
  }
  for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream']) {
    assert.deepEqual(inspectBody(payload, type), { model: undefined, estimatedTokens: 16 }, type);
  }
});

test('chat estimate: max_tokens, else max_completion_tokens, else 16; the prompt does not count', () => {
  assert.equal(inspectBody(body({ messages }), json).estimatedTokens, 16);
  assert.equal(inspectBody(body({ messages, max_tokens: 1000 }), json).estimatedTokens, 1000);
  assert.equal(inspectBody(body({ messages, max_tokens: 1e308, n: 2 }), json).estimatedTokens, 1e9, 'bounded: sums stay finite');
  assert.equal(inspectBody(body({ messages, max_completion_tokens: 250 }), json).estimatedTokens, 250);
  assert.equal(inspectBody(body({ messages, max_tokens: 70, max_completion_tokens: 250 }), json).estimatedTokens, 70);
  assert.equal(inspectBody(body({ messages, max_tokens: 0 }), json).estimatedTokens, 0);
});

test('chat estimate: invalid limits are ignored', () => {
  for (const max_tokens of ['100', -5, null, true, [100]]) {
    assert.equal(inspectBody(body({ messages, max_tokens }), json).estimatedTokens, 16, JSON.stringify(max_tokens));
  }
  assert.equal(inspectBody(body({ messages, max_tokens: '100', max_completion_tokens: 40 }), json).estimatedTokens, 40);
});

test('chat estimate: multiplied by the larger of n and best_of', () => {
  assert.equal(inspectBody(body({ messages, max_tokens: 100, n: 3 }), json).estimatedTokens, 300);
  assert.equal(inspectBody(body({ prompt: 'x', max_tokens: 100, best_of: 4 }), json).estimatedTokens, 400);
  assert.equal(inspectBody(body({ prompt: 'x', max_tokens: 100, n: 2, best_of: 5 }), json).estimatedTokens, 500);
  assert.equal(inspectBody(body({ prompt: 'x', max_tokens: 100, n: 6, best_of: 5 }), json).estimatedTokens, 600);
  assert.equal(inspectBody(body({ messages, n: 2 }), json).estimatedTokens, 32);
  assert.equal(inspectBody(body({ messages, max_tokens: 100, n: 0 }), json).estimatedTokens, 100);
  assert.equal(inspectBody(body({ messages, max_tokens: 100, n: 'three' }), json).estimatedTokens, 100);
});

test('embeddings estimate: characters / 4, rounded up, for a string or summed over an array', () => {
  assert.equal(inspectBody(body({ input: 'hello world' }), json).estimatedTokens, 3); // 11 chars
  assert.equal(inspectBody(body({ input: 'abcd' }), json).estimatedTokens, 1);
  assert.equal(inspectBody(body({ input: 'x'.repeat(4001) }), json).estimatedTokens, 1001);
  assert.equal(inspectBody(body({ model: 'embedding', input: ['abcd', 'abcde', 'abc'] }), json).estimatedTokens, 3); // 12 chars
  assert.equal(inspectBody(body({ input: ['a'.repeat(400), 'b'.repeat(400)] }), json).estimatedTokens, 200);
});

test('embeddings estimate: at least 1, and max_tokens plays no part', () => {
  assert.equal(inspectBody(body({ input: '' }), json).estimatedTokens, 1);
  assert.equal(inspectBody(body({ input: [] }), json).estimatedTokens, 1);
  assert.equal(inspectBody(body({ input: [101, 102, 103] }), json).estimatedTokens, 1); // token arrays are not counted
  assert.equal(inspectBody(body({ input: 'abcdefgh', max_tokens: 1000 }), json).estimatedTokens, 2);
});

test('input alongside messages is a chat request', () => {
  assert.equal(inspectBody(body({ input: 'x'.repeat(4000), messages, max_tokens: 50 }), json).estimatedTokens, 50);
});

test('non-JSON, invalid and non-object bodies: no model, the default estimate', () => {
  const cases: [string, Buffer, string | undefined][] = [
    ['empty', Buffer.alloc(0), json],
    ['truncated JSON', Buffer.from('{"model":"chat",'), json],
    ['form data, no content type', Buffer.from('model=chat'), undefined],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x7b]), json],
    ['null', Buffer.from('null'), json],
    ['number', Buffer.from('42'), json],
    ['string', Buffer.from('"chat"'), json],
    ['array', Buffer.from('[{"model":"chat","max_tokens":99}]'), json],
  ];
  for (const [name, payload, type] of cases) {
    const facts = inspectBody(payload, type);
    assert.equal(facts.model, undefined, name);
    assert.equal(facts.estimatedTokens, 16, name);
  }
});

test("a body that says it is JSON but is not is flagged, with the parser's reason", () => {
  const truncated = inspectBody(Buffer.from('{"model":"chat",'), 'application/json; charset=utf-8');
  assert.equal(typeof truncated.invalidJson, 'string');
  assert.ok(truncated.invalidJson!.length > 0);
  assert.equal(inspectBody(Buffer.from('{"model":"chat",'), undefined).invalidJson, undefined, 'no content type: not a claim to be JSON');
  assert.equal(inspectBody(Buffer.from('model=chat'), 'application/x-www-form-urlencoded').invalidJson, undefined);
  assert.equal(inspectBody(Buffer.alloc(0), json).invalidJson, undefined, 'an empty body is no body');
  assert.equal(inspectBody(Buffer.from('[1,2]'), json).invalidJson, undefined, 'valid JSON, just not an object');
  assert.equal(inspectBody(body({ model: 'chat' }), json).invalidJson, undefined);
});

test('bodies over 1 MiB are not parsed; up to 1 MiB they are', () => {
  const sized = (bytes: number): Buffer => {
    const head = '{"model":"chat","max_tokens":100,"pad":"';
    const tail = '"}';
    return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail);
  };
  const limit = sized(1024 * 1024);
  assert.equal(limit.length, 1024 * 1024);
  assert.deepEqual(inspectBody(limit, json), { model: 'chat', estimatedTokens: 100 });
  assert.deepEqual(inspectBody(sized(1024 * 1024 + 1), json), { model: undefined, estimatedTokens: 16 });
});

test('withModel replaces or adds model and keeps every other field', () => {
  const original = { model: 'chat', messages: [{ role: 'user', content: 'hé ✓' }], max_tokens: 5, stream: true };
  assert.deepEqual(JSON.parse(withModel(body(original), 'gpt-4o-prod').toString('utf8')), { ...original, model: 'gpt-4o-prod' });
  assert.deepEqual(JSON.parse(withModel(body({ input: 'x' }), 'emb').toString('utf8')), { input: 'x', model: 'emb' });
  assert.equal(inspectBody(withModel(body(original), 'renamed'), json).model, 'renamed');
});
