// The child-process path the CLI tests will use: NODE_EXTRA_CA_CERTS=<twin.caPath> and the endpoint
// from configuration; the SDK in the child has no CA or agent option at all.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTwin, type Twin } from '../index.js';

const run = promisify(execFile);

const SCRIPT = `
const { ResourceManagementClient } = require('@azure/arm-resources');
const cred = { getToken: async () => ({ token: 'x', expiresOnTimestamp: Date.now() + 3600e3 }) };
const ep = process.env.AZURE_RESOURCE_MANAGER_ENDPOINT;
const client = new ResourceManagementClient(cred, process.env.AZURE_SUBSCRIPTION_ID, {
  endpoint: ep, $host: ep, credentialScopes: ['https://management.azure.com/.default'] });
client.resourceGroups.createOrUpdate('rg-child', { location: 'eastus' })
  .then((g) => client.resourceGroups.beginDeleteAndWait('rg-child', { updateIntervalInMs: 5 }).then(() => g))
  .then((g) => console.log(JSON.stringify({ id: g.id })), (e) => { console.error(e.message); process.exit(1); });
`;

describe('twin: trusted by a child process through NODE_EXTRA_CA_CERTS', () => {
  let twin: Twin;
  before(async () => (twin = await startTwin()));
  after(() => twin.close());

  it('runs an unmodified SDK call and its LRO', async () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: twin.caPath, AZURE_RESOURCE_MANAGER_ENDPOINT: twin.url, AZURE_SUBSCRIPTION_ID: twin.subscriptionId };
    const { stdout } = await run(process.execPath, ['-e', SCRIPT], { env, cwd: process.cwd(), timeout: 30_000 });
    assert.deepEqual(JSON.parse(stdout), { id: `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-child` });
    assert.equal(twin.state.group(twin.subscriptionId, 'rg-child'), undefined);
  });

  it('is refused without the CA', async () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '', AZURE_RESOURCE_MANAGER_ENDPOINT: twin.url, AZURE_SUBSCRIPTION_ID: twin.subscriptionId };
    await assert.rejects(run(process.execPath, ['-e', SCRIPT], { env, cwd: process.cwd(), timeout: 30_000 }), (e: { stderr: string }) =>
      /certificate/i.test(e.stderr),
    );
  });
});
