import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';

const identityHeader = 'identity-header-secret';
const clientId = '11111111-2222-3333-4444-555555555555';
/** Long enough that a stalled machine still refreshes in time (the balancer refreshes at half-life, so at least
 *  (lifetime - 1) / 2 s after a token was issued: expires_on is whole seconds), short enough for the refresh test. */
const lifetimeSeconds = 12;
const minRefreshGapMs = ((lifetimeSeconds - 1) * 1000) / 2;

interface Issued {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** The local identity endpoint Container Apps gives a container (IDENTITY_ENDPOINT / IDENTITY_HEADER). */
function startIdentityEndpoint(issued: Issued[], refused: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const problems = [
      req.headers['x-identity-header'] !== identityHeader && 'X-IDENTITY-HEADER',
      url.searchParams.get('api-version') !== '2019-08-01' && 'api-version',
      url.searchParams.get('resource') !== 'https://cognitiveservices.azure.com' && `resource ${url.searchParams.get('resource')}`,
      url.searchParams.get('client_id') !== clientId && 'client_id',
    ].filter(Boolean) as string[];
    if (problems.length > 0) {
      refused.push(...problems);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: problems.join(', ') }));
      return;
    }
    const issuedAt = Date.now();
    const expiresAt = Math.floor(issuedAt / 1000) + lifetimeSeconds;
    const token = `mi-token-${issued.length + 1}`;
    issued.push({ token, issuedAt, expiresAt: expiresAt * 1000 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(expiresAt),
        resource: 'https://cognitiveservices.azure.com',
        token_type: 'Bearer',
        client_id: clientId,
      }),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('backend tokens from the managed identity, as in Container Apps', () => {
  const issued: Issued[] = [];
  const refused: string[] = [];
  const rejectedTokens: string[] = [];
  let identity: Server;
  let simulator: Simulator;
  let serve: CliProcess;
  let client: AzureOpenAI;

  before(async () => {
    identity = await startIdentityEndpoint(issued, refused);
    simulator = await startSimulator({
      latency: 'none',
      // Enough quota that polling for the refresh never meets a 429.
      deployments: [{ name: 'chat', model: 'gpt-35-turbo', tpm: 10_000_000 }],
      acceptBearer: (token) => {
        const known = issued.find((entry) => entry.token === token);
        const valid = known !== undefined && Date.now() < known.expiresAt;
        if (!valid) rejectedTokens.push(token);
        return valid;
      },
    });
    const { port } = identity.address() as AddressInfo;
    serve = startCli(['serve', '--port', '0', '--client-api-keys', 'lb-key'], {
      BACKEND_1_URL: simulator.url,
      AZURE_CLIENT_ID: clientId,
      IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`,
      IDENTITY_HEADER: identityHeader,
    });
    const url = (await serve.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
    client = new AzureOpenAI({ endpoint: url, apiKey: 'lb-key', apiVersion: '2024-10-21', maxRetries: 0 });
  });
  after(async () => {
    await serve.stop();
    await simulator.close();
    await new Promise((resolve) => identity.close(resolve));
  });

  const chat = () => client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

  it('fetches a token for the cognitive services scope with the user-assigned identity', async () => {
    await chat();
    assert.deepEqual(refused, []);
    assert.equal(issued.length, 1);
  });

  /** A token is only ever replaced once the one before it is past half its life: never one per request. */
  const assertNoEarlyRefresh = () => {
    for (let i = 1; i < issued.length; i++) {
      const gap = issued[i]!.issuedAt - issued[i - 1]!.issuedAt;
      assert.ok(gap >= minRefreshGapMs, `token ${i + 1} was fetched ${gap} ms after token ${i}, before half its life (${minRefreshGapMs} ms)`);
    }
  };

  it('reuses the cached token for later requests', async () => {
    for (let i = 0; i < 10; i++) await chat();
    const finished = Date.now();
    assertNoEarlyRefresh();
    // All the requests before the first token's half-life (the usual case) used it alone; on a machine stalled past
    // that, at most one new token per half-life (the gaps above), never one per request.
    if (finished < issued[0]!.issuedAt + minRefreshGapMs) assert.equal(issued.length, 1, 'every request used the first token');
    else assert.ok(issued.length <= 1 + Math.floor((finished - issued[0]!.issuedAt) / minRefreshGapMs), `${issued.length} tokens`);
  });

  it('refreshes the token before it expires, so no request ever carries an expired one', async () => {
    await waitFor(
      'a second token',
      async () => {
        await chat();
        return issued.length >= 2;
      },
      60_000,
    );
    assert.ok(issued[1]!.issuedAt < issued[0]!.expiresAt, 'the refresh came before the first token expired');
    assertNoEarlyRefresh();
    await chat();
    assert.deepEqual(rejectedTokens, []);
    assert.ok(!serve.stdout().includes('mi-token-'), 'tokens are never logged');
  });
});
