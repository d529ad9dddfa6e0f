import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AzureOpenAI, APIConnectionError, APIError } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_VERSION, chatUrl, hello, postJson, waitFor } from './helpers.js';

let sim: Simulator;
let azure: AzureOpenAI;
before(async () => {
  sim = await startSimulator({ latency: 'none' });
  azure = new AzureOpenAI({ endpoint: sim.url, apiKey: 'unused', apiVersion: API_VERSION, maxRetries: 0 });
});
beforeEach(() => sim.reset());
after(() => sim.close());

const chatStats = (): { faultsServed: number; admitted: number; requests: number } => sim.stats().deployments.find((d) => d.name === 'chat')!;

test('429 fault: an AOAI 429 with the given retry-after-ms, for `count` requests, costing nothing', async () => {
  sim.addFault({ kind: '429', count: 2, retryAfterMs: 1234 });
  for (let i = 0; i < 2; i++) {
    const res = await postJson(chatUrl(sim.url), hello);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after-ms'), '1234');
    assert.equal(res.headers.get('retry-after'), '2');
    assert.equal(res.headers.get('x-ratelimit-reset-tokens'), '2');
    assert.equal(res.headers.get('x-ratelimit-remaining-tokens'), '30000');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'RateLimitReached');
  }
  assert.equal((await postJson(chatUrl(sim.url), hello)).status, 200);
  assert.deepEqual({ ...chatStats() }, { ...chatStats(), faultsServed: 2, admitted: 1, requests: 3 });
  assert.deepEqual(sim.stats().faults, []);
});

test('500 and 503 faults: Azure bodies', async () => {
  sim.addFault({ kind: '500', count: 1 });
  sim.addFault({ kind: '503', count: 1 });
  const server = await postJson(chatUrl(sim.url), hello);
  assert.equal(server.status, 500);
  const body = (await server.json()) as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'server_error');
  assert.ok(body.error.message.includes(`(Please include the request ID ${server.headers.get('apim-request-id')} in your email.)`));
  await assert.rejects(azure.chat.completions.create({ model: 'chat', ...hello }), (e: unknown) => e instanceof APIError && e.status === 503);
  assert.equal((await postJson(chatUrl(sim.url), hello)).status, 200);
});

test('a fault can target one deployment, and without count lasts until cleared', async () => {
  sim.addFault({ kind: '500', deployment: 'embedding' });
  assert.equal((await postJson(chatUrl(sim.url), hello)).status, 200);
  const embeddings = `${sim.url}/openai/deployments/embedding/embeddings?api-version=${API_VERSION}`;
  for (let i = 0; i < 3; i++) assert.equal((await postJson(embeddings, { input: 'x' })).status, 500);
  assert.equal(sim.stats().faults[0]!.remaining, undefined);
  sim.clearFaults();
  assert.equal((await postJson(embeddings, { input: 'x' })).status, 200);
});

test('reset fault: the socket is destroyed without a response', async () => {
  sim.addFault({ kind: 'reset', count: 1 });
  await assert.rejects(azure.chat.completions.create({ model: 'chat', ...hello }), APIConnectionError);
  assert.equal((await postJson(chatUrl(sim.url), hello)).status, 200);
});

test('hang fault: no answer until the client goes away', async () => {
  sim.addFault({ kind: 'hang', count: 1 });
  const controller = new AbortController();
  let settled = false;
  const hung = fetch(chatUrl(sim.url), { method: 'POST', body: JSON.stringify(hello), signal: controller.signal }).finally(() => (settled = true));
  hung.catch(() => {});
  await waitFor(() => chatStats().faultsServed === 1, 5_000, 'the hang fault to be served');
  assert.equal((await postJson(chatUrl(sim.url), hello)).status, 200); // later requests are answered meanwhile
  assert.equal(settled, false);
  await waitFor(() => sim.stats().inFlight === 1, 5_000, 'only the hung response to stay open');
  controller.abort();
  await assert.rejects(hung);
  await waitFor(() => sim.stats().inFlight === 0, 5_000, 'the hung response to be closed');
});

test('close() resolves promptly with a hung request open', async () => {
  const other = await startSimulator({ latency: 'none' });
  other.addFault({ kind: 'hang' });
  const hung = postJson(chatUrl(other.url), hello);
  hung.catch(() => {});
  await waitFor(() => other.stats().deployments[0]!.faultsServed === 1);
  const started = Date.now();
  await other.close();
  // Without closing the open connection, close() would wait for the hung request for good.
  assert.ok(Date.now() - started < 10_000, `closed after ${Date.now() - started} ms`);
  await assert.rejects(hung);
});

test('midstream-reset on a stream: headers and some events, then the connection drops', async () => {
  sim.addFault({ kind: 'midstream-reset', count: 1 });
  const res = await postJson(chatUrl(sim.url), { ...hello, stream: true });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let text = '';
  const decoder = new TextDecoder();
  await assert.rejects(
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })(),
  );
  assert.ok(text.startsWith('data: {"choices":[],"created":0'), 'the prompt filter event arrived');
  assert.ok(!text.includes('[DONE]'));
  // The SDK sees an error mid-iteration too.
  sim.addFault({ kind: 'midstream-reset', count: 1 });
  const stream = await azure.chat.completions.create({ model: 'chat', ...hello, stream: true });
  await assert.rejects(async () => {
    for await (const _chunk of stream) {
      /* consume */
    }
  });
});

test('midstream-reset on a non-streaming request: a truncated body', async () => {
  sim.addFault({ kind: 'midstream-reset', count: 1 });
  const res = await postJson(chatUrl(sim.url), hello);
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
});

test('addFault rejects an invalid spec', () => {
  assert.throws(() => sim.addFault({ kind: 'boom' as '500' }), /kind/);
  assert.throws(() => sim.addFault({ kind: '500', count: 0 }), /count/);
});
