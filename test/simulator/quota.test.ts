import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { AzureOpenAI } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_VERSION, chatUrl, hello, postJson } from './helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({
    latency: 'none',
    region: 'West Europe',
    deployments: [
      { name: 'small', model: 'gpt-35-turbo', tpm: 1000, rpmPer1000Tpm: 60 }, // 10 requests per 10 s
      { name: 'calls', model: 'gpt-35-turbo', tpm: 2000 }, // 2 requests per 10 s
      { name: 'embed', model: 'text-embedding-ada-002', tpm: 1000, rpmPer1000Tpm: 60 },
    ],
  });
});
beforeEach(() => sim.reset());
after(() => sim.close());

const message = (deployment: string, model: string, limit: string, operation: string, api: string, seconds: string): string =>
  `Your requests to ${deployment} for ${model} in West Europe have exceeded the ${limit} rate limit for your current OpenAI S0 pricing tier. ` +
  `This request was for ${operation} under ${api}. Please retry after ${seconds} seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease.`;

test('token 429: every header, the body wording, and no charge', async () => {
  assert.equal((await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 600 })).status, 200);
  const res = await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 600 }, { 'x-ms-client-request-id': 'abc' });
  assert.equal(res.status, 429);
  const h = res.headers;
  const ms = Number(h.get('retry-after-ms'));
  assert.ok(ms > 55_000 && ms <= 60_000, `retry-after-ms ${ms}`);
  assert.equal(h.get('retry-after'), String(Math.ceil(ms / 1000)));
  assert.equal(h.get('x-ratelimit-reset-tokens'), h.get('retry-after'));
  assert.equal(h.get('x-ratelimit-reset-requests'), null);
  assert.equal(h.get('x-ratelimit-remaining-tokens'), '400');
  assert.equal(h.get('x-ratelimit-remaining-requests'), '9');
  assert.match(h.get('apim-request-id') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(h.get('x-request-id'), h.get('apim-request-id'));
  assert.equal(h.get('x-ms-region'), 'West Europe');
  assert.equal(h.get('x-ms-client-request-id'), 'abc');
  assert.equal(h.get('content-type'), 'application/json');
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'RateLimitReached');
  assert.equal(
    body.error.message,
    message('small', 'gpt-35-turbo', 'token', 'ChatCompletions_Create', `Azure OpenAI API version ${API_VERSION}`, h.get('retry-after')!),
  );
  const stats = sim.stats().deployments.find((d) => d.name === 'small')!;
  assert.deepEqual(
    { requests: stats.requests, admitted: stats.admitted, rejected429: stats.rejected429, tokensCharged: stats.tokensCharged },
    {
      requests: 2,
      admitted: 1,
      rejected429: 1,
      tokensCharged: 600,
    },
  );
  // the refused request cost nothing: 400 tokens still fit
  assert.equal((await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 400 })).status, 200);
});

test('call 429 (request window), v1 wording, reset-requests header', async () => {
  const v1 = `${sim.url}/openai/v1/chat/completions`;
  assert.equal((await postJson(v1, { model: 'calls', ...hello })).status, 200);
  const second = await postJson(v1, { model: 'calls', ...hello });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-ratelimit-remaining-requests'), '0');
  const res = await postJson(v1, { model: 'calls', ...hello });
  assert.equal(res.status, 429);
  const seconds = res.headers.get('retry-after')!;
  assert.ok(Number(seconds) >= 5 && Number(seconds) <= 10, `retry-after ${seconds}`);
  assert.equal(res.headers.get('x-ratelimit-reset-requests'), seconds);
  assert.equal(res.headers.get('x-ratelimit-reset-tokens'), null);
  assert.equal(res.headers.get('x-ratelimit-remaining-requests'), '0');
  const body = (await res.json()) as { error: { message: string } };
  assert.equal(body.error.message, message('calls', 'gpt-35-turbo', 'call', 'ChatCompletions_Create', 'OpenAI Language Model Instance API', seconds));
});

test('embeddings 429 names Embeddings_Create; chars/4 is charged', async () => {
  const url = `${sim.url}/openai/deployments/embed/embeddings?api-version=${API_VERSION}`;
  const ok = await postJson(url, { input: 'x'.repeat(3000) }); // 750 tokens
  assert.equal(ok.headers.get('x-ratelimit-remaining-tokens'), '250');
  const res = await postJson(url, { input: 'x'.repeat(1004) }); // 251 tokens
  assert.equal(res.status, 429);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /This request was for Embeddings_Create under Azure OpenAI API version/);
});

test('a request larger than the whole TPM is refused', async () => {
  const res = await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 1001 });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '60');
});

test('legacy wording', async () => {
  const legacy = await startSimulator({ latency: 'none', errorWording: 'legacy', deployments: [{ name: 'd', model: 'gpt-4', tpm: 1000 }] });
  try {
    await postJson(chatUrl(legacy.url, 'd'), hello);
    const res = await postJson(chatUrl(legacy.url, 'd'), hello);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, '429');
    const seconds = res.headers.get('retry-after');
    assert.equal(
      body.error.message,
      `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${API_VERSION} have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
    );
  } finally {
    await legacy.close();
  }
});

test('runtime TPM change takes effect at once', async () => {
  assert.equal((await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 900 })).status, 200);
  assert.equal((await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 900 })).status, 429);
  sim.setDeploymentTpm('small', 2000);
  const res = await postJson(chatUrl(sim.url, 'small'), { ...hello, max_tokens: 900 });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-ratelimit-limit-tokens'), '2000');
  assert.equal(res.headers.get('x-ratelimit-remaining-tokens'), '200');
  assert.throws(() => sim.setDeploymentTpm('nope', 1000), /no deployment/);
  sim.setDeploymentTpm('small', 1000);
});

test('time scale: windows expire fast and a client that waits retry-after-ms succeeds', async () => {
  const fast = await startSimulator({ latency: 'none', timeScale: 60, deployments: [{ name: 'd', model: 'gpt-35-turbo', tpm: 1000, rpmPer1000Tpm: 600 }] });
  try {
    const full = { ...hello, max_tokens: 1000 }; // each admitted request takes the whole window
    // Two requests inside one (1 s) window give a 429; on a very slow machine the window may pass first, so retry.
    let refused: Response | undefined;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      const res = await postJson(chatUrl(fast.url, 'd'), full);
      if (res.status === 429) refused = res;
      else assert.equal(res.status, 200);
    }
    assert.ok(refused, 'a 429 within the window');
    const ms = Number(refused.headers.get('retry-after-ms'));
    assert.ok(ms > 0 && ms <= 1000, `token window is 1 s at timeScale 60, got ${ms}`);
    assert.equal(refused.headers.get('retry-after'), '1');
    await delay(ms); // waiting what the server said is the behaviour under test
    assert.equal((await postJson(chatUrl(fast.url, 'd'), full)).status, 200);

    // The SDK honours retry-after-ms (its default retries) and gets through.
    const sdk = new AzureOpenAI({ endpoint: fast.url, apiKey: 'unused', apiVersion: API_VERSION, maxRetries: 2 });
    const data = await sdk.chat.completions.create({ model: 'd', ...full });
    assert.equal(data.object, 'chat.completion');
    assert.ok(fast.stats().deployments[0]!.rejected429 >= 1);
  } finally {
    await fast.close();
  }
});
