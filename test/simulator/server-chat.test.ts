import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AzureOpenAI, OpenAI } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_VERSION, chatUrl, hello, postJson, sseData, waitFor } from './helpers.js';

let sim: Simulator;
let azure: AzureOpenAI;
let v1: OpenAI;

before(async () => {
  sim = await startSimulator({ apiKeys: ['key-1'], latency: 'none', region: 'Sweden Central' });
  azure = new AzureOpenAI({ endpoint: sim.url, apiKey: 'key-1', apiVersion: API_VERSION, maxRetries: 0 });
  v1 = new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: 'key-1', maxRetries: 0 });
});
after(() => sim.close());

test('chat completion (AzureOpenAI, dated route): Azure body and headers', async () => {
  const { data, response } = await azure.chat.completions
    .create({ model: 'chat', ...hello, max_tokens: 50 }, { headers: { 'x-ms-client-request-id': 'client-123' } })
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.match(data.id, /^chatcmpl-/);
  assert.equal(data.model, 'gpt-35-turbo'); // the model, not the deployment
  assert.ok(Math.abs(data.created - Date.now() / 1000) < 60);
  assert.equal(typeof data.system_fingerprint, 'string');
  const choice = data.choices[0]!;
  assert.equal(choice.message.role, 'assistant');
  assert.equal(choice.finish_reason, 'stop');
  assert.equal(choice.message.content!.split(' ').length, 20); // the default completion length
  const extra = data as unknown as { prompt_filter_results: { prompt_index: number }[]; choices: { content_filter_results: { hate: unknown } }[] };
  assert.equal(extra.prompt_filter_results[0]!.prompt_index, 0);
  assert.deepEqual(extra.choices[0]!.content_filter_results.hate, { filtered: false, severity: 'safe' });
  assert.deepEqual(data.usage, { prompt_tokens: 3, completion_tokens: 20, total_tokens: 23 }); // "Hello there!" = 12 chars

  const h = response.headers;
  assert.equal(h.get('x-ratelimit-limit-tokens'), '30000');
  assert.equal(h.get('x-ratelimit-limit-requests'), '30');
  assert.equal(h.get('x-ratelimit-remaining-tokens'), String(30000 - 50));
  assert.equal(h.get('x-ratelimit-remaining-requests'), '29');
  assert.match(h.get('apim-request-id') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(h.get('x-request-id'), h.get('apim-request-id'));
  assert.equal(h.get('x-ms-region'), 'Sweden Central');
  assert.equal(h.get('x-ms-deployment-name'), 'chat');
  assert.ok(h.get('azureml-model-session'));
  assert.equal(h.get('x-ms-client-request-id'), 'client-123');
});

test('max_tokens below the default length cuts the completion with finish_reason "length"; n choices', async () => {
  const data = await azure.chat.completions.create({ model: 'chat', ...hello, max_tokens: 3, n: 2 });
  assert.equal(data.choices.length, 2);
  assert.equal(data.choices[1]!.index, 1);
  assert.equal(data.choices[0]!.finish_reason, 'length');
  assert.equal(data.choices[0]!.message.content, 'This is a');
  assert.equal(data.usage!.completion_tokens, 6);
});

test('chat completion (plain OpenAI client, v1 route, key as Bearer)', async () => {
  const data = await v1.chat.completions.create({ model: 'chat', ...hello });
  assert.equal(data.model, 'gpt-35-turbo');
  assert.equal(data.choices[0]!.finish_reason, 'stop');
});

test('streamed chat through the SDK: Azure event order and usage chunk', async () => {
  const stream = await azure.chat.completions.create({ model: 'chat', ...hello, max_tokens: 5, stream: true, stream_options: { include_usage: true } });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const first = chunks[0] as unknown as Record<string, unknown>;
  assert.deepEqual(first.choices, []);
  assert.equal(first.id, '');
  assert.equal(first.object, '');
  assert.equal(first.model, '');
  assert.equal(first.created, 0);
  assert.ok(Array.isArray(first.prompt_filter_results));
  const content = chunks.slice(1, -2);
  assert.equal(content[0]!.choices[0]!.delta.role, 'assistant');
  assert.ok(content.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-35-turbo'));
  assert.equal(content.map((c) => c.choices[0]!.delta.content ?? '').join(''), 'This is a simulated response');
  const final = chunks.at(-2)!;
  assert.deepEqual(final.choices[0]!.delta, {});
  assert.equal(final.choices[0]!.finish_reason, 'length');
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.deepEqual(usage.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
});

test('streamed chat, raw: data-only events, blank-line framing, [DONE] last, stream headers', async () => {
  const res = await postJson(chatUrl(sim.url), { ...hello, stream: true }, { 'api-key': 'key-1' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(res.headers.get('x-ratelimit-limit-tokens'), '30000');
  assert.ok(res.headers.get('x-ratelimit-remaining-tokens'));
  assert.ok(res.headers.get('apim-request-id'));
  const events = sseData(await res.text());
  assert.equal(events.at(-1), '[DONE]');
  const parsed = events.slice(0, -1).map((e) => JSON.parse(e) as Record<string, unknown>);
  assert.ok('prompt_filter_results' in parsed[0]!);
  assert.deepEqual(parsed[0]!.choices, []);
  assert.ok(parsed.slice(1).every((e) => e.object === 'chat.completion.chunk' && e.usage === null));
  const last = parsed.at(-1)!.choices as { finish_reason: string; delta: unknown }[];
  assert.equal(last[0]!.finish_reason, 'stop');
  assert.deepEqual(last[0]!.delta, {});
  assert.equal(parsed.length, 1 + 1 + 20 + 1); // filter event, role, 20 tokens, final
});

test('streaming is written over time (latency model)', async () => {
  const slow = await startSimulator({ latency: { firstTokenMs: 0, perTokenMs: 40 }, completionTokens: 6 });
  try {
    const res = await postJson(chatUrl(slow.url), { ...hello, stream: true });
    const reader = res.body!.getReader();
    const firstAt = await reader.read().then(() => performance.now());
    let done = false;
    while (!done) done = (await reader.read()).done;
    // 6 tokens at 40 ms each: the end comes well after the first bytes.
    assert.ok(performance.now() - firstAt >= 150, 'chunks arrive spread over time');
  } finally {
    await slow.close();
  }
});

test('a client that disconnects mid-stream stops the generation', async () => {
  const slow = await startSimulator({ latency: { firstTokenMs: 0, perTokenMs: 20 }, completionTokens: 100_000 });
  try {
    const controller = new AbortController();
    const res = await postJson(chatUrl(slow.url), { ...hello, stream: true }, {}, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal(slow.stats().inFlight, 1);
    controller.abort();
    await reader.read().catch(() => undefined);
    await waitFor(() => slow.stats().inFlight === 0, 5_000, 'the stream to stop');
  } finally {
    await slow.close();
  }
});

test('embeddings via the SDK (base64 by default) and as floats: deterministic unit vectors', async () => {
  const { data, response } = await azure.embeddings.create({ model: 'embedding', input: ['hello world', 'abcd'] }).withResponse();
  assert.equal(data.object, 'list');
  assert.equal(data.model, 'text-embedding-ada-002');
  assert.equal(data.data.length, 2);
  assert.equal(data.data[0]!.object, 'embedding');
  assert.equal(data.data[1]!.index, 1);
  const vector = data.data[0]!.embedding;
  assert.equal(vector.length, 1536);
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  assert.ok(Math.abs(norm - 1) < 1e-4);
  assert.deepEqual(data.usage, { prompt_tokens: 4, total_tokens: 4 });
  assert.equal(response.headers.get('x-ms-deployment-name'), 'embedding');

  const floats = await v1.embeddings.create({ model: 'embedding', input: 'hello world', encoding_format: 'float' });
  assert.deepEqual(floats.data[0]!.embedding, vector);
});

test('text-embedding-3 models honour `dimensions`; 3-large defaults to 3072', async () => {
  sim.addDeployment({ name: 'emb3', model: 'text-embedding-3-large', tpm: 30_000 });
  assert.equal((await azure.embeddings.create({ model: 'emb3', input: 'x' })).data[0]!.embedding.length, 3072);
  assert.equal((await azure.embeddings.create({ model: 'emb3', input: 'x', dimensions: 256 })).data[0]!.embedding.length, 256);
});

test('GET /openai/v1/models lists the models', async () => {
  const page = await v1.models.list();
  const ids = page.data.map((m) => m.id);
  assert.ok(ids.includes('gpt-35-turbo') && ids.includes('text-embedding-ada-002'));
  assert.equal(new Set(ids).size, ids.length);
});
