// Log Analytics workspaces on the twin through the real OperationalInsightsManagementClient:
// create (201 Creating, body-mode poll), get, sharedKeys, delete (202 + Azure-AsyncOperation + Location
// as in the azd recording), soft-delete without force and recovery by re-creating.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';

const EXAMPLES = '/work/shared/azure-fixtures/specs-examples/Microsoft.OperationalInsights';
const example = (f: string) => JSON.parse(readFileSync(`${EXAMPLES}/${f}`, 'utf8')) as { responses: Record<string, { body: unknown }> };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('twin: Log Analytics workspaces', () => {
  let twin: Twin;
  let oi: OperationalInsightsManagementClient;
  before(async () => {
    twin = await startTwin();
    oi = new OperationalInsightsManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-law', { location: 'eastus2' });
  });
  after(() => twin.close());

  it('creates a workspace: 201 Creating as in WorkspacesCreate.json, then Succeeded with a customerId GUID', async () => {
    const created = example('WorkspacesCreate.2025-07-01.json').responses['201']!.body as { properties: Record<string, unknown> };
    const raw = await rawRequest(
      twin,
      'PUT',
      `/subscriptions/${twin.subscriptionId}/resourcegroups/rg-law/providers/Microsoft.OperationalInsights/workspaces/law-raw?api-version=2022-10-01`,
      { body: { location: 'eastus2', properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 } } },
    );
    assert.equal(raw.status, 201);
    const body = raw.json() as { properties: Record<string, unknown> };
    for (const k of Object.keys(created.properties)) assert.ok(k in body.properties, `properties has ${k}`);
    assert.equal(body.properties.provisioningState, 'Creating');

    const ws = await oi.workspaces.beginCreateOrUpdateAndWait(
      'rg-law',
      'law-1',
      { location: 'eastus2', sku: { name: 'PerGB2018' }, retentionInDays: 30, tags: { env: 'dev' } },
      fastPoll,
    );
    assert.equal(ws.provisioningState, 'Succeeded');
    assert.match(String(ws.customerId), GUID);
    assert.equal(ws.sku?.name, 'PerGB2018');
    assert.equal(ws.retentionInDays, 30);
    assert.equal(ws.type, 'Microsoft.OperationalInsights/workspaces');
    assert.equal(ws.id, `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-law/providers/Microsoft.OperationalInsights/workspaces/law-1`);
    const got = await oi.workspaces.get('rg-law', 'law-1');
    assert.equal(got.customerId, ws.customerId);
    assert.deepEqual(got.tags, { env: 'dev' });
  });

  it('returns shared keys (POST sharedKeys, api 2020-08-01)', async () => {
    const keys = await oi.sharedKeysOperations.getSharedKeys('rg-law', 'law-1');
    assert.deepEqual(Object.keys(keys).sort(), ['primarySharedKey', 'secondarySharedKey']);
    assert.equal(Buffer.from(keys.primarySharedKey!, 'base64').length, 64);
    assert.notEqual(keys.primarySharedKey, keys.secondarySharedKey);
    assert.ok(twin.requests.some((r) => r.operationId === 'SharedKeys_GetSharedKeys' && r.status === 200));
  });

  it('404s a missing workspace with ARM ResourceNotFound', async () => {
    await assert.rejects(
      oi.workspaces.get('rg-law', 'nope'),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound',
    );
  });

  it('deletes: 202 + Azure-AsyncOperation (2015-11-01-preview) + Location + Retry-After; force removes for good', async () => {
    await oi.workspaces.beginCreateOrUpdateAndWait('rg-law', 'law-del', { location: 'eastus2' }, fastPoll);
    const raw = await rawRequest(
      twin,
      'DELETE',
      `/subscriptions/${twin.subscriptionId}/resourcegroups/rg-law/providers/Microsoft.OperationalInsights/workspaces/law-del?api-version=2022-10-01&force=true`,
    );
    assert.equal(raw.status, 202);
    assert.match(
      String(raw.headers['azure-asyncoperation']),
      /\/providers\/Microsoft\.OperationalInsights\/locations\/eastus2\/operationstatuses\/[0-9a-f-]{36}\?api-version=2015-11-01-preview$/,
    );
    assert.match(String(raw.headers.location), /\/workspaces\/law-del\/operationresults\/[0-9a-f-]{36}\?api-version=2022-10-01$/);
    assert.equal(raw.headers['retry-after'], '0');
    await oi.workspaces.beginDeleteAndWait('rg-law', 'law-1', { force: true, updateIntervalInMs: 5 });
    await assert.rejects(oi.workspaces.get('rg-law', 'law-1'), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  it('soft-deletes without force; re-creating the name recovers customerId and keys', async () => {
    const ws = await oi.workspaces.beginCreateOrUpdateAndWait('rg-law', 'law-soft', { location: 'eastus2' }, fastPoll);
    const keys = await oi.sharedKeysOperations.getSharedKeys('rg-law', 'law-soft');
    await oi.workspaces.beginDeleteAndWait('rg-law', 'law-soft', fastPoll);
    await assert.rejects(oi.workspaces.get('rg-law', 'law-soft'), (e: { statusCode?: number }) => e.statusCode === 404);
    const back = await oi.workspaces.beginCreateOrUpdateAndWait('rg-law', 'law-soft', { location: 'eastus2' }, fastPoll);
    assert.equal(back.customerId, ws.customerId);
    assert.deepEqual(await oi.sharedKeysOperations.getSharedKeys('rg-law', 'law-soft'), keys);
  });
});
