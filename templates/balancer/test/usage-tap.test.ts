import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageTap } from '../src/usage-tap.js';

const completion = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is 42.' }, finish_reason: 'stop' }],
  usage: {
    completion_tokens: 34,
    completion_tokens_details: { accepted_prediction_tokens: 0, reasoning_tokens: 0 },
    prompt_tokens: 12,
    prompt_tokens_details: { cached_tokens: 0 },
    total_tokens: 46,
  },
});

function tap(...chunks: (string | Buffer)[]): UsageTap {
  const usage = new UsageTap();
  for (const chunk of chunks) usage.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return usage;
}

test('usage from a JSON completion in one chunk', () => {
  assert.deepEqual(tap(completion).usage(), { promptTokens: 12, completionTokens: 34 });
});

test('usage from a JSON completion split across chunks at every position', () => {
  for (let at = 1; at < completion.length; at++) {
    const usage = tap(completion.slice(0, at), completion.slice(at)).usage();
    assert.deepEqual(usage, { promptTokens: 12, completionTokens: 34 }, `split at ${at}`);
  }
  assert.deepEqual(tap(...completion).usage(), { promptTokens: 12, completionTokens: 34 }, 'one byte a chunk');
});

test("usage from an SSE stream's final usage chunk, not the nulls before it", () => {
  const event = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
  const stream = [
    event({ id: 'c', choices: [], prompt_filter_results: [{ prompt_index: 0 }], usage: null }),
    event({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }], usage: null }),
    event({ id: 'c', choices: [{ index: 0, delta: { content: 'Hello there. '.repeat(30) } }], usage: null }),
    event({ id: 'c', choices: [{ index: 0, delta: { content: 'General Kenobi. '.repeat(30) } }], usage: null }),
    event({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null }),
    event({ id: 'c', choices: [], usage: { completion_tokens: 9, prompt_tokens: 21, total_tokens: 30 } }),
    'data: [DONE]\n\n',
  ];
  assert.deepEqual(tap(...stream).usage(), { promptTokens: 21, completionTokens: 9 });
  assert.deepEqual(tap(stream.join('')).usage(), { promptTokens: 21, completionTokens: 9 });
});

test('no usage: a stream without a usage chunk, null usage, an error body, nothing at all', () => {
  assert.equal(tap('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n', 'data: [DONE]\n\n').usage(), undefined);
  assert.equal(tap('data: {"choices":[],"usage":null}\n\ndata: [DONE]\n\n').usage(), undefined);
  assert.equal(tap('{"error":{"code":"429","message":"Please retry after 3 seconds."}}').usage(), undefined);
  assert.equal(new UsageTap().usage(), undefined);
});

test('embeddings usage has no completion tokens', () => {
  const body = JSON.stringify({ object: 'list', data: [{ embedding: [0.1, 0.2] }], usage: { prompt_tokens: 8, total_tokens: 8 } });
  assert.deepEqual(tap(body).usage(), { promptTokens: 8, completionTokens: 0 });
});

test('long bodies: usage at the end is found after many kilobytes', () => {
  const content = 'x'.repeat(50_000);
  const body = JSON.stringify({ choices: [{ message: { content } }], usage: { prompt_tokens: 5, completion_tokens: 12_500 } });
  assert.deepEqual(tap(body).usage(), { promptTokens: 5, completionTokens: 12_500 }, 'one big chunk');
  const chunks: string[] = [];
  for (let at = 0; at < body.length; at += 1000) chunks.push(body.slice(at, at + 1000));
  assert.deepEqual(tap(...chunks).usage(), { promptTokens: 5, completionTokens: 12_500 }, 'many chunks');
});

test('long bodies: only the tail is kept, so usage followed by more than 8 KiB is forgotten', () => {
  const usage = '{"usage":{"prompt_tokens":5,"completion_tokens":6}}';
  assert.deepEqual(tap(usage, ' '.repeat(8000)).usage(), { promptTokens: 5, completionTokens: 6 }, 'still within the tail');
  assert.equal(tap(usage, ' '.repeat(8192)).usage(), undefined, 'pushed out in a later chunk');
  assert.equal(tap(usage + ' '.repeat(8192)).usage(), undefined, 'pushed out within one chunk');
  assert.equal(tap(usage, ...Array.from({ length: 20 }, () => ' '.repeat(500))).usage(), undefined, 'pushed out by many small chunks');
});
