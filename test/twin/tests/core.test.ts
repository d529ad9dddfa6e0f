// The twin's TLS, ARM request pipeline and Microsoft.Resources, driven by the real SDK clients.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';
import { waitFor } from '../../helpers/wait.js';

describe('twin core', () => {
  let twin: Twin;
  let resources: ResourceManagementClient;
  before(async () => {
    twin = await startTwin();
    resources = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
  });
  after(() => twin.close());

  it('serves HTTPS that only the per-run CA makes trusted', async () => {
    assert.match(twin.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const error = await new Promise<Error>((resolve) => {
      request(`${twin.url}/subscriptions?api-version=2022-12-01`, (res) => resolve(new Error(`answered ${res.statusCode}`)))
        .on('error', resolve)
        .end();
    });
    assert.match(String((error as NodeJS.ErrnoException).code), /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
    const ok = await rawRequest(twin, 'GET', '/subscriptions?api-version=2022-12-01');
    assert.equal(ok.status, 200);
  });

  it('lists the one configured subscription', async () => {
    const subs = new SubscriptionClient(staticCredential, sdkOptions(twin));
    const list = [];
    for await (const s of subs.subscriptions.list()) list.push(s);
    assert.equal(list.length, 1);
    assert.equal(list[0]!.subscriptionId, twin.subscriptionId);
    assert.equal(list[0]!.state, 'Enabled');
    assert.equal(list[0]!.tenantId, twin.tenantId);
  });

  it('requires api-version with ARM error bodies and request ids', async () => {
    const missing = await rawRequest(twin, 'GET', `/subscriptions/${twin.subscriptionId}/resourcegroups/x`);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json(), {
      error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' },
    });
    assert.match(String(missing.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
    assert.ok(missing.headers['x-ms-correlation-request-id']);
    const invalid = await rawRequest(twin, 'GET', `/subscriptions/${twin.subscriptionId}/resourcegroups/x?api-version=1999-01-01`);
    assert.equal(invalid.status, 400);
    const body = invalid.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'InvalidApiVersionParameter');
    assert.match(body.error.message, /^The api-version '1999-01-01' is invalid\. The supported versions are '2025-04-01,/);
  });

  it('requires a bearer token', async () => {
    const res = await rawRequest(twin, 'GET', '/subscriptions?api-version=2022-12-01', { auth: false });
    assert.equal(res.status, 401);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'AuthenticationFailed');
    assert.match(String(res.headers['www-authenticate']), /^Bearer authorization_uri=/);
  });

  it('answers 404 ResourceGroupNotFound with ARM message through the SDK', async () => {
    await assert.rejects(resources.resourceGroups.get('nope'), (e: { statusCode: number; code: string; message: string }) => {
      assert.equal(e.statusCode, 404);
      assert.equal(e.code, 'ResourceGroupNotFound');
      assert.equal(e.message, "Resource group 'nope' could not be found.");
      return true;
    });
    assert.equal((await resources.resourceGroups.checkExistence('nope')).body, false);
  });

  it('creates, reads, updates and deletes a resource group (Location-mode LRO)', async () => {
    const created = await resources.resourceGroups.createOrUpdate('rg-core', { location: 'eastus2', tags: { 'aoai-lb-env': 'dev' } });
    assert.equal(created.id, `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-core`);
    assert.equal(created.properties?.provisioningState, 'Succeeded');
    assert.deepEqual(created.tags, { 'aoai-lb-env': 'dev' });
    const again = await resources.resourceGroups.createOrUpdate('RG-CORE', { location: 'eastus2', tags: { a: 'b' } });
    assert.equal(again.name, 'rg-core', 'names are case-insensitive and keep their first spelling');
    await assert.rejects(
      resources.resourceGroups.createOrUpdate('rg-core', { location: 'westus' }),
      (e: { code: string }) => e.code === 'InvalidResourceGroupLocation',
    );
    assert.equal((await resources.resourceGroups.checkExistence('rg-core')).body, true);
    assert.equal((await resources.resourceGroups.get('rg-core')).location, 'eastus2');

    const poller = await resources.resourceGroups.beginDelete('rg-core', fastPoll);
    const state = poller.getOperationState() as { status: string };
    assert.ok(['running', 'succeeded'].includes(state.status));
    await poller.pollUntilDone();
    assert.equal((await resources.resourceGroups.checkExistence('rg-core')).body, false);
    const polls = twin.requests.filter((r) => r.operationId === 'ResourceGroups_OperationResults');
    assert.ok(polls.length >= 1, 'the SDK polled the Location URL on the twin');
    assert.equal(polls.at(-1)!.status, 200);
  });

  it('returns 202 + Location + Retry-After on resource-group delete', async () => {
    await resources.resourceGroups.createOrUpdate('rg-raw', { location: 'eastus' });
    // Held, so the delete is still running whatever the machine's load when we poll and read the group.
    const hold = twin.latencies.hold('ResourceGroups_Delete');
    try {
      const res = await rawRequest(twin, 'DELETE', `/subscriptions/${twin.subscriptionId}/resourcegroups/rg-raw?api-version=2025-04-01`);
      assert.equal(res.status, 202);
      assert.equal(res.text, '');
      assert.equal(res.headers['retry-after'], '0');
      assert.equal(hold.held, 1);
      const location = String(res.headers.location);
      assert.ok(location.startsWith(`${twin.url}/subscriptions/${twin.subscriptionId}/operationresults/`), location);
      const poll = await rawRequest(twin, 'GET', location);
      assert.equal(poll.status, 202);
      assert.equal(poll.headers['retry-after'], '0');
      const got = await rawRequest(twin, 'GET', `/subscriptions/${twin.subscriptionId}/resourcegroups/rg-raw?api-version=2025-04-01`);
      assert.equal((got.json() as { properties: { provisioningState: string } }).properties.provisioningState, 'Deleting');
      hold.release();
      const done = await waitFor('the delete poll to answer 200', async () => {
        const r = await rawRequest(twin, 'GET', location);
        return r.status === 200 ? r : r.status === 202 ? undefined : assert.fail(`poll answered ${r.status}: ${r.text}`);
      });
      assert.equal(done.text, '');
      const gone = await rawRequest(twin, 'GET', `/subscriptions/${twin.subscriptionId}/resourcegroups/rg-raw?api-version=2025-04-01`);
      assert.equal(gone.status, 404);
    } finally {
      hold.release();
    }
  });
});
