// Keyless clients (issue 10 §1): the balancer with CLIENT_AUTH=entra or both, tokens signed by a local
// OpenID/JWKS issuer, and the official openai package's token hooks as the clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI, OpenAI } from 'openai';
import { apiVersion, clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, okChat, type RecordingBackend } from '../helpers/recording-backend.js';
import { chatAppId, startEntraIssuer, type EntraIssuer } from '../helpers/entra-issuer.js';

const otherTenant = '0f0f0f0f-1111-2222-3333-444444444444';

describe('CLIENT_AUTH=entra', () => {
  let issuer: EntraIssuer;
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    issuer = await startEntraIssuer();
    backend = await startRecordingBackend(okChat);
    topology = await startTopology([{ url: backend.url, apiKey: 'backend-key' }], {
      CLIENT_AUTH: 'entra',
      CLIENT_API_KEYS: '',
      AZURE_TENANT_ID: issuer.tenantId,
      ENTRA_AUTHORITY_HOST: issuer.authorityHost,
      ENTRA_JWKS_COOLDOWN_SECONDS: '0',
    });
  });
  after(async () => {
    await topology.close();
    await backend.close();
    await issuer.close();
  });

  const azure = (token: () => Promise<string>): AzureOpenAI =>
    new AzureOpenAI({ endpoint: topology.url, azureADTokenProvider: token, apiVersion, maxRetries: 0 });
  const refusal = async (token: string): Promise<{ status: number; message: string; authenticate: string | null }> => {
    const response = await fetch(`${topology.url}/openai/deployments/chat/chat/completions?api-version=${apiVersion}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: hello }),
    });
    const body = (await response.json()) as { error: { message: string } };
    return { status: response.status, message: body.error.message, authenticate: response.headers.get('www-authenticate') };
  };

  it("accepts a token from the openai package's token provider (AzureOpenAI) and as the v1 client's api key", async () => {
    const completion = await azure(() => issuer.issueToken()).chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(completion.object, 'chat.completion');
    const v1 = new OpenAI({ baseURL: `${topology.url}/openai/v1`, apiKey: () => issuer.issueToken({ version: 2 }), maxRetries: 0 });
    assert.equal((await v1.chat.completions.create({ model: 'chat', messages: hello })).object, 'chat.completion');
  });

  it("sends the backend its own key, never the client's token, and logs no token", async () => {
    const token = await issuer.issueToken();
    const before = backend.requests.length;
    await azure(async () => token).chat.completions.create({ model: 'chat', messages: hello });
    const forwarded = backend.requests[before]!;
    assert.equal(forwarded.headers['api-key'], 'backend-key');
    assert.equal(forwarded.headers.authorization, undefined);
    const signature = token.split('.')[2]!;
    assert.ok(!topology.logs.join('').includes(signature));
    assert.ok(!JSON.stringify(backend.requests.map((r) => r.headers)).includes(signature));
  });

  it('refuses bad tokens with a 401 that says which check failed, without echoing the token', async () => {
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['expired', issuer.issueToken({ expiresInSeconds: -600 }), /expired/i],
      ['wrong audience', issuer.issueToken({ aud: 'https://management.azure.com' }), /audience/i],
      ['wrong tenant', issuer.issueToken({ tid: otherTenant }), /tenant/i],
      ['wrong signature', issuer.issueToken({ signWith: 'stranger' }), /signature/i],
      ['alg none', issuer.issueToken({ alg: 'none' }), /RS256/],
      ['HS256', issuer.issueToken({ alg: 'HS256' }), /RS256/],
      ['not a JWT', Promise.resolve('not-a-token'), /well-formed JWT/],
    ];
    for (const [name, pending, reason] of cases) {
      const token = await pending;
      const answer = await refusal(token);
      assert.equal(answer.status, 401, name);
      assert.match(answer.message, reason, name);
      assert.match(answer.authenticate ?? '', /^Bearer/, name);
      assert.ok(!answer.message.includes(token), name);
    }
  });

  it('refuses a client key: this balancer takes tokens only', async () => {
    const response = await fetch(`${topology.url}/status`, { headers: { 'api-key': clientKey } });
    assert.equal(response.status, 401);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /accepts Entra ID tokens only/);
  });

  it('follows a key rotation: an unknown kid fetches the keys again', async () => {
    const fetched = issuer.jwksRequests();
    await issuer.rotateKeys();
    const completion = await azure(() => issuer.issueToken()).chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(issuer.jwksRequests(), fetched + 1);
  });

  it('answers 503 with a retry-after when the signing keys cannot be fetched', async () => {
    issuer.setAvailable(false);
    try {
      await issuer.rotateKeys();
      const response = await fetch(`${topology.url}/status`, { headers: { authorization: `Bearer ${await issuer.issueToken()}` } });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
    } finally {
      issuer.setAvailable(true);
    }
  });
});

describe('CLIENT_AUTH=both, with a client allow-list and a required role', () => {
  let issuer: EntraIssuer;
  let topology: Topology;
  before(async () => {
    issuer = await startEntraIssuer();
    topology = await startTopology([{}], {
      CLIENT_AUTH: 'both',
      AZURE_TENANT_ID: issuer.tenantId,
      ENTRA_AUTHORITY_HOST: issuer.authorityHost,
      ALLOWED_CLIENT_IDS: chatAppId,
      REQUIRED_ROLE: 'Balancer.Use',
    });
  });
  after(async () => {
    await topology.close();
    await issuer.close();
  });

  const status = async (authorization: string): Promise<number> => (await fetch(`${topology.url}/status`, { headers: { authorization } })).status;

  it('takes a client key and an allowed token with the role; refuses another client or a token without the role', async () => {
    assert.equal((await topology.azure().chat.completions.create({ model: 'chat', messages: hello })).object, 'chat.completion');
    assert.equal(await status(`Bearer ${clientKey}`), 200);
    assert.equal(await status(`Bearer ${await issuer.issueToken({ roles: ['Balancer.Use'] })}`), 200);
    assert.equal(await status(`Bearer ${await issuer.issueToken({ roles: ['Balancer.Use'], appid: '99999999-0000-0000-0000-000000000000' })}`), 401);
    assert.equal(await status(`Bearer ${await issuer.issueToken({ roles: ['Other'] })}`), 401);
    assert.equal(await status('Bearer wrong-key'), 401);
  });
});
