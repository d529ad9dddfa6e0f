import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionLength, estimateCost, promptTokens } from '../../src/simulator/cost.js';

test('chat: max_tokens × n, else 16 (gpt-3.5-turbo measurements)', () => {
  const messages = [{ role: 'user', content: 'What is the meaning of life?' }];
  assert.equal(estimateCost('chat', { messages }), 16);
  assert.equal(estimateCost('chat', { messages: [{ role: 'user', content: 'x'.repeat(4000) }] }), 16); // prompt size does not count
  assert.equal(estimateCost('chat', { messages, max_tokens: 1000 }), 1000);
  assert.equal(estimateCost('chat', { messages, max_tokens: 10 }), 10);
  assert.equal(estimateCost('chat', { messages, max_completion_tokens: 50 }), 50);
  assert.equal(estimateCost('chat', { messages, max_tokens: 100, n: 3 }), 300);
  assert.equal(estimateCost('chat', { messages, max_tokens: 100, n: 0 }), 100);
  assert.equal(estimateCost('chat', { messages, max_tokens: 'lots' }), 16);
  assert.equal(estimateCost('chat', { messages, max_tokens: 0 }), 0);
});

test('embeddings: ceil(chars/4) per input, summed', () => {
  assert.equal(estimateCost('embeddings', { input: 'hello world' }), 3); // 11 chars
  assert.equal(estimateCost('embeddings', { input: 'abcd' }), 1);
  assert.equal(estimateCost('embeddings', { input: ['abcd', 'abcde', ''] }), 1 + 2 + 0);
  assert.equal(estimateCost('embeddings', { input: [1, 2, 3, 4, 5] }), 5); // one token array
  assert.equal(estimateCost('embeddings', { input: [[1, 2], [3]] }), 3);
  assert.equal(estimateCost('embeddings', { input: 42 }), 0);
  assert.equal(estimateCost('embeddings', {}), 0);
});

test('prompt tokens: ceil(chars/4) over message contents, text parts included', () => {
  assert.equal(promptTokens([{ role: 'user', content: 'What is the meaning of life?' }]), 7); // 28 chars
  assert.equal(
    promptTokens([
      { role: 'system', content: 'abc' },
      { role: 'user', content: [{ type: 'text', text: 'defgh' }] },
    ]),
    2,
  );
  assert.equal(promptTokens('nonsense'), 1);
});

test('completion length is min(max_tokens, the default)', () => {
  assert.equal(completionLength({}, 20), 20);
  assert.equal(completionLength({ max_tokens: 5 }, 20), 5);
  assert.equal(completionLength({ max_tokens: 500 }, 20), 20);
});
