import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { armClientOptions } from '../../src/azure/clients.js';
import { cloudFromEnvironment } from '../../src/azure/cloud.js';
import { version } from '../../src/core/version.js';
import { fakeAzureCli, type FakeAzureCli } from '../helpers/fake-azure-cli.js';
import { startTwin, type Twin } from '../twin/index.js';

const run = promisify(execFile);
const childScript = fileURLToPath(new URL('./twin-clients-child.ts', import.meta.url));

describe('armClientOptions', () => {
  it('points every client at the cloud, asks tokens for its Resource Manager audience and names aoai-lb', () => {
    const options = armClientOptions(cloudFromEnvironment({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://127.0.0.1:8443/' }));
    assert.deepEqual(options, {
      endpoint: 'https://127.0.0.1:8443',
      $host: 'https://127.0.0.1:8443',
      credentialScopes: ['https://management.azure.com/.default'],
      userAgentOptions: { userAgentPrefix: `aoai-lb/${version}` },
    });
  });
});

describe('the client factories with the credential chain reach the twin (child process, fake az)', () => {
  let twin: Twin;
  let cli: FakeAzureCli;
  before(async () => {
    twin = await startTwin();
    cli = fakeAzureCli({ subscriptionId: twin.subscriptionId });
  });
  after(async () => {
    await twin.close();
    cli.cleanup();
  });

  it('signs in through az once, finds the only subscription and calls each service, retrying 429 and 500', async () => {
    // The pipeline's default retries, kept on purpose (docs/azure.md): throttling waits for Retry-After, a 500 backs off.
    twin.faults.inject('ResourceGroups_CreateOrUpdate', { kind: 'throttle', times: 2, retryAfterSeconds: 0 });
    twin.faults.inject('Accounts_ListByResourceGroup', { kind: 'serverError', times: 1 });
    const env = {
      PATH: cli.env.PATH,
      HOME: process.env.HOME,
      AZURE_CONFIG_DIR: cli.env.AZURE_CONFIG_DIR,
      AZD_CONFIG_DIR: cli.env.AZD_CONFIG_DIR,
      NODE_EXTRA_CA_CERTS: twin.caPath,
      AZURE_RESOURCE_MANAGER_ENDPOINT: twin.url,
    };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', childScript], { env, cwd: process.cwd(), timeout: 60_000 });
    const result = JSON.parse(stdout) as { subscription: unknown; group: string; counts: Record<string, number> };
    assert.deepEqual(result.subscription, { id: twin.subscriptionId, name: 'Twin Subscription', source: 'only subscription' });
    assert.equal(result.group, `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-clients`);
    assert.deepEqual(result.counts, { accounts: 0, containerApps: 0, registries: 0, roleAssignments: 0, workspaces: 0, identities: 0 });
    // One token for every client: the credential caches what az gave.
    assert.deepEqual(cli.calls(), ['az account get-access-token --output json --resource https://management.azure.com']);
    const answered = new Set(twin.requests.filter((r) => r.status < 300).map((r) => r.operationId));
    for (const operation of [
      'Subscriptions_List',
      'ResourceGroups_CreateOrUpdate',
      'Accounts_ListByResourceGroup',
      'ContainerApps_ListByResourceGroup',
      'Registries_ListByResourceGroup',
      'RoleAssignments_ListForScope',
      'Workspaces_ListByResourceGroup',
      'UserAssignedIdentities_ListByResourceGroup',
    ]) {
      assert.ok(answered.has(operation), `${operation} in ${[...answered].join(', ')}`);
    }
    assert.equal(twin.faults.fired.get('ResourceGroups_CreateOrUpdate'), 2);
    assert.equal(twin.faults.fired.get('Accounts_ListByResourceGroup'), 1);
  });
});
