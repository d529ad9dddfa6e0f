// The data plane per account: the account's endpoint (the twin's HTTPS front door) answers the official
// openai client with a managed-identity token from the twin's identity endpoint, gated like Azure by the
// "Cognitive Services OpenAI User" role (403 without it, 401 for a token the twin never issued or an
// expired one, 401 for an api-key when local auth is disabled); the simulator's TPM follows the
// deployment's capacity; deleting the account stops its simulator. Needs the built CLI (npm run build).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { CognitiveServicesManagementClient, type Account as ArmAccount } from '@azure/arm-cognitiveservices';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { AzureOpenAI } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { startTwin, type Twin } from '../index.js';
import { ROLES } from '../providers/roles.js';
import { fastPoll, sdkOptions, staticCredential } from '../sdk.js';
import { waitFor } from '../../helpers/wait.js';

const TOKEN_401 = {
  statusCode: 401,
  message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.',
};
const RG = 'rg-dp';
const run = promisify(execFile);
type ClientOptions = NonNullable<ConstructorParameters<typeof AzureOpenAI>[0]>;

describe('twin: a data plane per OpenAI account, gated by managed-identity tokens', () => {
  let twin: Twin;
  let cs: CognitiveServicesManagementClient;
  let agent: Agent;
  let account: ArmAccount;
  let withRole: { clientId: string; principalId: string };
  let withoutRole: { clientId: string; principalId: string };

  /** A token from the twin's identity endpoint, asked as MSAL's App Service source asks (Container Apps style). */
  const tokenFor = async (clientId: string, resource = 'https://cognitiveservices.azure.com'): Promise<string> => {
    const env = twin.identityEndpointFor(clientId);
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}&client_id=${clientId}`;
    const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': env.IDENTITY_HEADER } });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    assert.equal(body.client_id, clientId);
    assert.ok(Number(body.expires_on) > Date.now() / 1000 + 23 * 3600, 'default lifetime 24 h');
    return body.access_token!;
  };
  const openai = (token: string) =>
    new AzureOpenAI({
      endpoint: account.properties!.endpoint!,
      apiVersion: '2024-10-21',
      azureADTokenProvider: () => Promise.resolve(token),
      maxRetries: 0,
      // Trust of the twin's CA in-process: undici's fetch with an Agent({ connect: { ca } }) (documented client options).
      fetch: undiciFetch as unknown as ClientOptions['fetch'],
      fetchOptions: { dispatcher: agent } as unknown as ClientOptions['fetchOptions'],
    });
  const chat = (client: AzureOpenAI, maxTokens = 5, model = 'chat') =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: maxTokens });
  const raw = (path: string, headers: Record<string, string>) =>
    undiciFetch(new URL(path, account.properties!.endpoint!), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      dispatcher: agent,
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
    });
  const chatPath = 'openai/deployments/chat/chat/completions?api-version=2024-10-21';

  before(async () => {
    twin = await startTwin({ dataPlane: true });
    agent = new Agent({ connect: { ca: twin.ca } });
    cs = new CognitiveServicesManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const msi = new ManagedServiceIdentityClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const authz = new AuthorizationManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin)).resourceGroups.createOrUpdate(RG, { location: 'eastus' });
    account = await cs.accounts.beginCreateAndWait(
      RG,
      'acc-dp',
      {
        location: 'eastus',
        kind: 'OpenAI',
        sku: { name: 'S0' },
        properties: { customSubDomainName: 'acc-dp-sub', disableLocalAuth: true },
      },
      fastPoll,
    );
    await cs.deployments.beginCreateOrUpdateAndWait(
      RG,
      'acc-dp',
      'chat',
      {
        sku: { name: 'Standard', capacity: 1 },
        properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' } },
      },
      fastPoll,
    );
    // 1K TPM allows one request per 10 s: the streaming and credential tests use a roomier deployment.
    await cs.deployments.beginCreateOrUpdateAndWait(
      RG,
      'acc-dp',
      'big',
      {
        sku: { name: 'Standard', capacity: 50 },
        properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' } },
      },
      fastPoll,
    );
    const a = await msi.userAssignedIdentities.createOrUpdate(RG, 'mi-user', { location: 'eastus' });
    const b = await msi.userAssignedIdentities.createOrUpdate(RG, 'mi-none', { location: 'eastus' });
    withRole = { clientId: a.clientId!, principalId: a.principalId! };
    withoutRole = { clientId: b.clientId!, principalId: b.principalId! };
    await authz.roleAssignments.create(account.id!, randomUUID(), {
      roleDefinitionId: `/subscriptions/${twin.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.cognitiveServicesOpenAIUser}`,
      principalId: withRole.principalId,
      principalType: 'ServicePrincipal',
    });
  });
  after(async () => {
    await twin?.close();
    await agent?.close();
  });

  it("reports the front door as the account's endpoint and starts one simulator for it", () => {
    assert.match(account.properties!.endpoint!, /^https:\/\/127\.0\.0\.1:\d+\/acc-dp-sub\/$/);
    assert.equal(twin.dataPlane!.started.length, 1);
  });

  it('answers a chat completion through the openai client with a token of an identity holding the role', async () => {
    const completion = await chat(openai(await tokenFor(withRole.clientId)));
    assert.equal(completion.object, 'chat.completion');
    assert.ok(completion.choices.length > 0);
  });

  it('streams a chat completion through the front door (server-sent events, chunk by chunk)', async () => {
    const stream = await openai(await tokenFor(withRole.clientId)).chat.completions.create({
      model: 'big',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
      stream: true,
    });
    const objects: string[] = []; // Azure's first chunk (prompt_filter_results) has object ''
    for await (const chunk of stream) objects.push(chunk.object);
    assert.ok(objects.filter((o) => o === 'chat.completion.chunk').length >= 2, objects.join());
  });

  it("issues tokens to @azure/identity's ManagedIdentityCredential in a child process given identityEndpointFor()'s variables", async () => {
    const script = `import { ManagedIdentityCredential } from '@azure/identity';
      const t = await new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID }).getToken('https://cognitiveservices.azure.com/.default');
      process.stdout.write(JSON.stringify({ token: t.token, expires: t.expiresOnTimestamp }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      timeout: 30_000,
      env: { ...process.env, ...twin.identityEndpointFor(withRole.clientId), AZURE_CLIENT_ID: withRole.clientId },
    });
    const { token, expires } = JSON.parse(stdout) as { token: string; expires: number };
    assert.equal(twin.dataPlane!.tokens.find(token)?.principalId, withRole.principalId);
    assert.ok(expires > Date.now() + 23 * 3600e3);
    assert.equal((await chat(openai(token), 5, 'big')).object, 'chat.completion');
  });

  it('refuses a valid token whose principal lacks the role: 403 PermissionDenied naming the principal and the data action', async () => {
    await assert.rejects(chat(openai(await tokenFor(withoutRole.clientId))), (e: { status?: number }) => e.status === 403);
    const res = await raw(chatPath, { Authorization: `Bearer ${await tokenFor(withoutRole.clientId)}` });
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'PermissionDenied');
    assert.match(body.error.message, new RegExp(withoutRole.principalId));
    assert.match(body.error.message, /Microsoft\.CognitiveServices\/accounts\/OpenAI\/deployments\/chat\/completions\/action/);
  });

  it("refuses a token the twin never issued, an expired one and one for another audience with Azure's 401 body", async () => {
    await assert.rejects(chat(openai('garbage')), (e: { status?: number }) => e.status === 401);
    const garbage = await raw(chatPath, { Authorization: 'Bearer garbage' });
    assert.equal(garbage.status, 401);
    assert.deepEqual(await garbage.json(), TOKEN_401);
    const expired = await tokenFor(withRole.clientId);
    twin.dataPlane!.tokens.expire(expired);
    assert.deepEqual(await (await raw(chatPath, { Authorization: `Bearer ${expired}` })).json(), TOKEN_401);
    const arm = await tokenFor(withRole.clientId, 'https://management.azure.com/');
    assert.equal((await raw(chatPath, { Authorization: `Bearer ${arm}` })).status, 401);
  });

  it('refuses an api-key when the account disables local auth', async () => {
    const res = await raw(chatPath, { 'api-key': 'any-key' });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'AuthenticationTypeDisabled');
  });

  it('answers 404 DeploymentNotFound for a deployment ARM does not know', async () => {
    const res = await raw('openai/deployments/embedding/embeddings?api-version=2024-10-21', { Authorization: `Bearer ${await tokenFor(withRole.clientId)}` });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'DeploymentNotFound');
  });

  it('accepts an api-key the twin issued when local auth is on; a deleted deployment answers 404 DeploymentNotFound', async () => {
    const keyed = await cs.accounts.beginCreateAndWait(
      RG,
      'acc-keys',
      { location: 'eastus', kind: 'OpenAI', sku: { name: 'S0' }, properties: { customSubDomainName: 'acc-keys-sub' } },
      fastPoll,
    );
    await cs.deployments.beginCreateOrUpdateAndWait(
      RG,
      'acc-keys',
      'chat',
      {
        sku: { name: 'Standard', capacity: 10 },
        properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' } },
      },
      fastPoll,
    );
    const key = twin.dataPlane!.keyFor(twin.state.account(twin.subscriptionId, RG, 'acc-keys')!);
    const post = (headers: Record<string, string>) =>
      undiciFetch(new URL(chatPath, keyed.properties!.endpoint!), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        dispatcher: agent,
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
      });
    assert.equal((await post({ 'api-key': key })).status, 200);
    const wrong = await post({ 'api-key': 'not-issued' });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: { message: string } }).error.message, /^Access denied due to invalid subscription key/);
    await cs.deployments.beginDeleteAndWait(RG, 'acc-keys', 'chat', fastPoll);
    const gone = await post({ 'api-key': key });
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'DeploymentNotFound');
    await cs.accounts.beginDeleteAndWait(RG, 'acc-keys', fastPoll);
  });

  it("follows the deployment's capacity: a burst refused at 1K TPM passes at 50K", async () => {
    const client = openai(await tokenFor(withRole.clientId));
    const burst = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push(
          await chat(client, 300).then(
            () => 200,
            (e: { status?: number }) => e.status ?? 0,
          ),
        );
      return statuses;
    };
    assert.ok((await burst()).includes(429), 'the burst meets 429 at 1K TPM');
    await cs.deployments.beginUpdateAndWait(RG, 'acc-dp', 'chat', { sku: { name: 'Standard', capacity: 50 } }, fastPoll);
    assert.deepEqual(await burst(), [200, 200, 200, 200, 200, 200]);
  });

  it('stops the simulator when the account is deleted', async () => {
    const sim = twin.dataPlane!.started[0]!;
    assert.ok(sim.running);
    await cs.accounts.beginDeleteAndWait(RG, 'acc-dp', fastPoll);
    await waitFor('the simulator to exit', () => !sim.running);
    const res = await raw(chatPath, { Authorization: `Bearer ${await tokenFor(withRole.clientId)}` });
    assert.equal(res.status, 404);
  });

  it('restoring the account starts a new simulator with its kept deployments; purging stops it again', async () => {
    const restored = await cs.accounts.beginCreateAndWait(
      RG,
      'acc-dp',
      {
        location: 'eastus',
        kind: 'OpenAI',
        sku: { name: 'S0' },
        properties: { customSubDomainName: 'acc-dp-sub', disableLocalAuth: true, restore: true },
      },
      fastPoll,
    );
    assert.equal(restored.properties!.endpoint, account.properties!.endpoint);
    const sim = twin.dataPlane!.started.at(-1)!;
    assert.equal(twin.dataPlane!.plane(twin.state.account(twin.subscriptionId, RG, 'acc-dp')!)?.sim, sim);
    assert.equal((await chat(openai(await tokenFor(withRole.clientId)), 5, 'big')).object, 'chat.completion');
    await cs.accounts.beginDeleteAndWait(RG, 'acc-dp', fastPoll);
    await cs.deletedAccounts.beginPurgeAndWait('eastus', RG, 'acc-dp', fastPoll);
    await waitFor('the restored simulator to exit', () => !sim.running);
  });
});
