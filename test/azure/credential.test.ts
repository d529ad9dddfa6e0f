import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { cloudFromEnvironment } from '../../src/azure/cloud.js';
import { azureCredential, credentialSources, signIn } from '../../src/azure/credential.js';
import { UserError } from '../../src/core/errors.js';
import { fakeAzureCli, type FakeAzureCli, type FakeAzureCliOptions } from '../helpers/fake-azure-cli.js';

const cloud = cloudFromEnvironment({});
const armResource = 'https://management.azure.com';

// The library's credentials read process.env themselves, so these tests set it and put it back.
const ambient = [
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'AZURE_TOKEN_CREDENTIALS',
  'IDENTITY_ENDPOINT',
  'MSI_ENDPOINT',
  'IMDS_ENDPOINT',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'PATH',
  'AZURE_CONFIG_DIR',
  'AZD_CONFIG_DIR',
];

describe('credentialSources', () => {
  it('tries environment, Azure CLI and azd on a developer machine, without managed identity', () => {
    assert.deepEqual(credentialSources({}), ['environment', 'azure-cli', 'azd']);
  });

  it('adds managed identity last where the host announces one', () => {
    for (const hint of ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'IMDS_ENDPOINT', 'AZURE_FEDERATED_TOKEN_FILE']) {
      assert.deepEqual(credentialSources({ [hint]: 'http://localhost:42356/msi/token' }), ['environment', 'azure-cli', 'azd', 'managed-identity'], hint);
    }
  });

  it('follows AZURE_TOKEN_CREDENTIALS as DefaultAzureCredential does', () => {
    assert.deepEqual(credentialSources({ AZURE_TOKEN_CREDENTIALS: 'dev' }), ['azure-cli', 'azd']);
    assert.deepEqual(credentialSources({ AZURE_TOKEN_CREDENTIALS: 'prod' }), ['environment', 'managed-identity']);
    assert.deepEqual(credentialSources({ AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential' }), ['managed-identity']);
    assert.deepEqual(credentialSources({ AZURE_TOKEN_CREDENTIALS: ' AzureDeveloperCliCredential ' }), ['azd']);
  });

  it('refuses an AZURE_TOKEN_CREDENTIALS it does not know', () => {
    assert.throws(
      () => credentialSources({ AZURE_TOKEN_CREDENTIALS: 'VisualStudioCodeCredential' }),
      (error: unknown) => error instanceof UserError && error.code === 'credential-selection-invalid' && /VisualStudioCodeCredential/.test(error.message),
    );
  });
});

describe('azureCredential with the fake CLIs on PATH', () => {
  let saved: Record<string, string | undefined>;
  let fake: FakeAzureCli | undefined;

  beforeEach(() => {
    saved = Object.fromEntries(ambient.map((name) => [name, process.env[name]]));
    for (const name of ambient) if (name !== 'PATH') delete process.env[name];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fake?.cleanup();
    fake = undefined;
  });

  const withFake = (options: FakeAzureCliOptions): FakeAzureCli => {
    fake = fakeAzureCli(options);
    Object.assign(process.env, fake.env);
    return fake;
  };

  it('gets the Azure CLI token for the Resource Manager resource', async () => {
    const cli = withFake({ az: 'logged-in', azd: 'logged-in' });
    const token = await azureCredential(cloud).getToken(cloud.resourceManagerScope);
    assert.equal(token?.token, cli.token);
    assert.ok(token.expiresOnTimestamp > Date.now() + 50 * 60_000);
    assert.deepEqual(cli.calls(), [`az account get-access-token --output json --resource ${armResource}`]);
  });

  it('falls back to azd when the Azure CLI is logged out', async () => {
    const cli = withFake({ az: 'logged-out', azd: 'logged-in' });
    const token = await azureCredential(cloud).getToken(cloud.resourceManagerScope);
    assert.equal(token?.token, cli.token);
    assert.deepEqual(
      cli.calls().map((call) => call.split(' ').slice(0, 3).join(' ')),
      ['az account get-access-token', 'azd auth token'],
    );
    assert.match(cli.calls()[1]!, /--scope https:\/\/management\.azure\.com\/\.default/);
  });

  it('falls back to azd when the Azure CLI is not installed', async () => {
    const cli = withFake({ az: 'missing', azd: 'logged-in' });
    assert.equal((await azureCredential(cloud).getToken(cloud.resourceManagerScope))?.token, cli.token);
  });

  it('asks a CLI once for concurrent and repeated requests of the same scope', async () => {
    const cli = withFake({});
    const credential = azureCredential(cloud);
    const tokens = await Promise.all([1, 2, 3].map(() => credential.getToken(cloud.resourceManagerScope)));
    await credential.getToken([cloud.resourceManagerScope]);
    assert.deepEqual(
      tokens.map((t) => t?.token),
      [cli.token, cli.token, cli.token],
    );
    assert.equal(cli.calls().length, 1);
  });

  it('asks again when the cached token is about to expire', async () => {
    const cli = withFake({ lifetimeSeconds: 60 });
    const credential = azureCredential(cloud);
    await credential.getToken(cloud.resourceManagerScope);
    await credential.getToken(cloud.resourceManagerScope);
    assert.equal(cli.calls().length, 2);
  });

  it('signIn succeeds quietly when a login answers', async () => {
    withFake({});
    await signIn(azureCredential(cloud), cloud);
  });

  for (const state of ['logged-out', 'missing'] as const) {
    it(`signIn reports not-logged-in when both CLIs are ${state}, without a token, keeping the cause`, async () => {
      const cli = withFake({ az: state, azd: state });
      await assert.rejects(signIn(azureCredential(cloud), cloud), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.code, 'not-logged-in');
        assert.equal(error.message, 'Not signed in to Azure: no Azure CLI, azd, environment or managed-identity credential gave a token.');
        assert.match(error.suggestion ?? '', /az login/);
        assert.ok(error.cause instanceof Error);
        for (const text of [error.message, error.suggestion, String(error.cause), (error.cause as Error).message]) {
          assert.doesNotMatch(text ?? '', new RegExp(cli.token));
        }
        return true;
      });
    });
  }

  it('signIn passes a UserError of the chain through unchanged', async () => {
    const failing = {
      getToken: async () => {
        throw new UserError('credential-selection-invalid', 'bad');
      },
    };
    await assert.rejects(signIn(failing, cloud), (error: unknown) => error instanceof UserError && error.code === 'credential-selection-invalid');
  });
});
