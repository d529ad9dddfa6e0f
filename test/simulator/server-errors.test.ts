import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { AzureOpenAI, OpenAI, APIError } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { API_VERSION, chatUrl, hello, postJson, waitFor } from './helpers.js';

const KEY_BODY = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};
const TOKEN_BODY = {
  statusCode: 401,
  message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.',
};
const NOT_FOUND = { error: { code: '404', message: 'Resource not found' } };

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ apiKeys: ['key-1', 'key-2'], acceptBearer: (t) => t === 'good-token', latency: 'none', maxBodyBytes: 10_000 });
});
after(() => sim.close());

test('auth: api-key and Bearer (key or accepted token) pass', async () => {
  const keyed = new AzureOpenAI({ endpoint: sim.url, apiKey: 'key-2', apiVersion: API_VERSION, maxRetries: 0 });
  assert.equal((await keyed.chat.completions.create({ model: 'chat', ...hello })).object, 'chat.completion');
  const token = new AzureOpenAI({ endpoint: sim.url, azureADTokenProvider: async () => 'good-token', apiVersion: API_VERSION, maxRetries: 0 });
  assert.equal((await token.chat.completions.create({ model: 'chat', ...hello })).object, 'chat.completion');
  const v1 = new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: 'key-1', maxRetries: 0 });
  assert.equal((await v1.chat.completions.create({ model: 'chat', ...hello })).object, 'chat.completion');
});

test('auth: a bad key gets the key body, a bad token the token body', async () => {
  const bad = new AzureOpenAI({ endpoint: sim.url, apiKey: 'nope', apiVersion: API_VERSION, maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model: 'chat', ...hello }), (e: unknown) => e instanceof APIError && e.status === 401);
  const keyRes = await postJson(chatUrl(sim.url), hello, { 'api-key': 'nope' });
  assert.equal(keyRes.status, 401);
  assert.deepEqual(await keyRes.json(), KEY_BODY);
  const missing = await postJson(chatUrl(sim.url), hello);
  assert.equal(missing.status, 401);
  assert.deepEqual(await missing.json(), KEY_BODY);
  const tokenRes = await postJson(chatUrl(sim.url), hello, { authorization: 'Bearer expired-token' });
  assert.equal(tokenRes.status, 401);
  assert.deepEqual(await tokenRes.json(), TOKEN_BODY);
  const badToken = new AzureOpenAI({ endpoint: sim.url, azureADTokenProvider: async () => 'bad', apiVersion: API_VERSION, maxRetries: 0 });
  await assert.rejects(badToken.chat.completions.create({ model: 'chat', ...hello }), (e: unknown) => e instanceof APIError && e.status === 401);
});

test('auth is off when neither keys nor acceptBearer are configured', async () => {
  const open = await startSimulator({ latency: 'none' });
  try {
    assert.equal((await postJson(chatUrl(open.url), hello)).status, 200);
    assert.equal((await postJson(chatUrl(open.url), hello, { 'api-key': 'anything' })).status, 200);
  } finally {
    await open.close();
  }
});

test('404s: unknown deployment (both routes), missing api-version, unknown path', async () => {
  const azure = new AzureOpenAI({ endpoint: sim.url, apiKey: 'key-1', apiVersion: API_VERSION, maxRetries: 0 });
  await assert.rejects(azure.chat.completions.create({ model: 'nope', ...hello }), (e: unknown) => e instanceof APIError && e.status === 404);
  const auth = { 'api-key': 'key-1' };
  const dated = await postJson(chatUrl(sim.url, 'nope'), hello, auth);
  assert.equal(dated.status, 404);
  const body = (await dated.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'DeploymentNotFound');
  assert.equal(
    body.error.message,
    'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
  );
  const v1 = await postJson(`${sim.url}/openai/v1/chat/completions`, { model: 'nope', ...hello }, auth);
  assert.equal(((await v1.json()) as { error: { code: string } }).error.code, 'DeploymentNotFound');
  const noVersion = await postJson(chatUrl(sim.url, 'chat', null), hello, auth);
  assert.equal(noVersion.status, 404);
  assert.deepEqual(await noVersion.json(), NOT_FOUND);
  const unknown = await postJson(`${sim.url}/openai/deployments/chat/teleport?api-version=${API_VERSION}`, hello, auth);
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), NOT_FOUND);
  const root = await fetch(`${sim.url}/`, { headers: auth });
  assert.equal(root.status, 404);
});

test('400s: invalid JSON, non-object, missing messages, embeddings on a chat model', async () => {
  const auth = { 'api-key': 'key-1' };
  const charged = (): number => sim.stats().deployments.reduce((sum, d) => sum + d.tokensCharged, 0);
  const chargedBefore = charged();
  const invalid = await postJson(chatUrl(sim.url), '{"messages": [', auth);
  assert.equal(invalid.status, 400);
  assert.equal(((await invalid.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
  assert.equal((await postJson(chatUrl(sim.url), '[1,2]', auth)).status, 400);
  assert.equal((await postJson(chatUrl(sim.url), { messages: [] }, auth)).status, 400);
  const v1NoModel = await postJson(`${sim.url}/openai/v1/chat/completions`, hello, auth);
  assert.equal(v1NoModel.status, 400);
  const wrongOp = await postJson(`${sim.url}/openai/deployments/chat/embeddings?api-version=${API_VERSION}`, { input: 'x' }, auth);
  assert.equal(wrongOp.status, 400);
  const body = (await wrongOp.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'OperationNotSupported');
  assert.match(
    body.error.message,
    /^The embeddings operation does not work with the specified model, gpt-35-turbo\. Please choose different model and try again/,
  );
  const dimensions = await postJson(`${sim.url}/openai/deployments/embedding/embeddings?api-version=${API_VERSION}`, { input: 'x', dimensions: 256 }, auth);
  assert.equal(dimensions.status, 400); // ada-002 has a fixed width
  assert.equal(charged(), chargedBefore, 'rejected requests cost nothing');
});

test('413 for a body over the limit; the server keeps serving', async () => {
  const big = await postJson(chatUrl(sim.url), { ...hello, padding: 'x'.repeat(20_000) }, { 'api-key': 'key-1' });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'RequestEntityTooLarge');
  assert.equal((await postJson(chatUrl(sim.url), hello, { 'api-key': 'key-1' })).status, 200);
});

test('aborted requests and malformed HTTP do not crash the server', async () => {
  const before = sim.stats().deployments.find((d) => d.name === 'chat')!.requests;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(sim.port, '127.0.0.1', () => {
      socket.write(
        `POST /openai/deployments/chat/chat/completions?api-version=${API_VERSION} HTTP/1.1\r\nhost: x\r\napi-key: key-1\r\ncontent-length: 500\r\n\r\n{"messages":`,
      );
      setImmediate(() => {
        socket.destroy();
        resolve();
      });
    });
    socket.on('error', reject);
  });
  const garbage = await new Promise<string>((resolve) => {
    const socket = connect(sim.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  assert.match(garbage, /^HTTP\/1\.1 400/);
  await waitFor(async () => (await postJson(chatUrl(sim.url), hello, { 'api-key': 'key-1' })).status === 200);
  assert.equal(sim.stats().deployments.find((d) => d.name === 'chat')!.requests, before + 1); // the aborted one never counted
});
