import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI, OpenAI } from 'openai';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';

describe('client authentication', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend();
    topology = await startTopology([{ url: backend.url, apiKey: 'backend-secret' }], { CLIENT_API_KEYS: `other-key, ${clientKey}` });
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  const chatPath = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';

  it('refuses a request without a key with an Azure-shaped 401, before any backend sees it', async () => {
    const response = await fetch(`${topology.url}${chatPath}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, '401');
    assert.match(body.error.message, /CLIENT_API_KEYS/);
    assert.equal(backend.requests.length, 0);
  });

  it('refuses a wrong key from both SDK styles', async () => {
    const azure = new AzureOpenAI({ endpoint: topology.url, apiKey: 'wrong', apiVersion: '2024-10-21', maxRetries: 0 });
    await assert.rejects(azure.chat.completions.create({ model: 'chat', messages: hello }), { status: 401 });
    const v1 = new OpenAI({ baseURL: `${topology.url}/openai/v1`, apiKey: `${clientKey}x`, maxRetries: 0 });
    await assert.rejects(v1.chat.completions.create({ model: 'chat', messages: hello }), { status: 401 });
    assert.equal(backend.requests.length, 0);
  });

  it('accepts the key as api-key (AzureOpenAI) and as a bearer token (OpenAI on /openai/v1), then replaces it', async () => {
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello });
    await topology.v1().chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(backend.requests.length, 2);
    for (const request of backend.requests) {
      assert.equal(request.headers['api-key'], 'backend-secret');
      assert.equal(request.headers.authorization, undefined, "the client's bearer key is not forwarded");
    }
  });

  it('accepts any of several configured keys', async () => {
    const response = await fetch(`${topology.url}${chatPath}`, {
      method: 'POST',
      headers: { 'api-key': 'other-key', 'content-type': 'application/json' },
      body: JSON.stringify({ messages: hello }),
    });
    assert.equal(response.status, 200);
  });

  it('serves /healthz without a key, and /status and /metrics only with one', async () => {
    assert.equal((await fetch(`${topology.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${topology.url}/status`)).status, 401);
    assert.equal((await fetch(`${topology.url}/metrics`)).status, 401);
    const status = await fetch(`${topology.url}/status`, { headers: { authorization: `Bearer ${clientKey}` } });
    assert.equal(status.status, 200);
    const metrics = await fetch(`${topology.url}/metrics`, { headers: { 'api-key': clientKey } });
    assert.match(await metrics.text(), /aoai_lb_upstream_requests_total/);
  });
});

describe('anonymous mode', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend();
    topology = await startTopology([{ url: backend.url, apiKey: 'backend-secret' }], { CLIENT_API_KEYS: '', ALLOW_ANONYMOUS: 'true' });
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  it('lets a request without a key through when ALLOW_ANONYMOUS=true', async () => {
    const response = await fetch(`${topology.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: hello }),
    });
    assert.equal(response.status, 200);
    assert.equal(backend.requests[0]!.headers['api-key'], 'backend-secret');
  });
});
