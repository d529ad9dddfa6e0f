// Microsoft.Cache/redisEnterprise (Azure Managed Redis) in Resource Manager, driven by the real
// @azure/arm-resources generic client with api-version 2025-07-01 (what the CLI uses; the only
// @azure/arm-redisenterprisecache on the registry, 2.2.0, speaks 2022-01-01 and has no access policy
// assignments): cluster, database and access policy assignment as LROs shaped like the spec's examples,
// listKeys refused while access keys are disabled, ARM's 404s, 409 while busy, name and SKU checks, and
// the resource-group delete that takes the clusters with it. No data plane here (redis-dataplane.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';
import { waitFor } from '../../helpers/wait.js';

const API = '2025-07-01';
const RG = 'rg-redis';
const OBJECT_ID = '6497c918-11ad-41e7-1b0f-7c518a87d0b0';

describe('twin: Azure Managed Redis in Resource Manager', () => {
  let twin: Twin;
  let arm: ResourceManagementClient;
  const clusterPath = (name: string) => `/subscriptions/${twin.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Cache/redisEnterprise/${name}`;
  const clusterBody = {
    location: 'westus3',
    sku: { name: 'Balanced_B0' },
    properties: { minimumTlsVersion: '1.2', highAvailability: 'Disabled', publicNetworkAccess: 'Enabled' },
  };
  const databaseBody = {
    properties: { clientProtocol: 'Encrypted', port: 10000, clusteringPolicy: 'NoCluster', evictionPolicy: 'NoEviction', accessKeysAuthentication: 'Disabled' },
  };

  before(async () => {
    twin = await startTwin();
    arm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await arm.resourceGroups.createOrUpdate(RG, { location: 'westus3' });
  });
  after(() => twin.close());

  it('creates a cluster as an LRO: 201 Creating + Azure-AsyncOperation, then Succeeded/Running with hostName', async () => {
    const first = await rawRequest(twin, 'PUT', `${clusterPath('amr-raw')}?api-version=${API}`, { body: clusterBody });
    assert.equal(first.status, 201, first.text);
    const created = first.json() as { kind: string; properties: Record<string, unknown>; type: string; sku: unknown };
    assert.equal(created.type, 'Microsoft.Cache/redisEnterprise');
    assert.equal(created.kind, 'v2');
    assert.deepEqual(created.sku, { name: 'Balanced_B0' });
    assert.equal(created.properties.provisioningState, 'Creating');
    assert.equal(created.properties.resourceState, 'Creating');
    const status = String(first.headers['azure-asyncoperation']);
    assert.match(
      status,
      new RegExp(`/subscriptions/${twin.subscriptionId}/providers/Microsoft.Cache/locations/westus3/operationsStatus/[0-9a-f-]+\\?api-version=${API}$`),
    );

    const done = await arm.resources.beginCreateOrUpdateByIdAndWait(clusterPath('amr-1'), API, clusterBody, fastPoll);
    const props = done.properties as Record<string, unknown>;
    assert.equal(props.provisioningState, 'Succeeded');
    assert.equal(props.resourceState, 'Running');
    assert.equal(props.hostName, 'amr-1.westus3.redis.azure.net');
    assert.equal(props.highAvailability, 'Disabled');
    assert.equal(props.minimumTlsVersion, '1.2');
    assert.equal(props.publicNetworkAccess, 'Enabled');
    // amr-raw's operation draws its own latency, so it may still be running when amr-1's is done.
    const statusPath = new URL(status).pathname + new URL(status).search;
    const poll = await waitFor(`amr-raw's operation to end (${statusPath})`, async () => {
      const answer = (await rawRequest(twin, 'GET', statusPath)).json() as { status: string };
      return answer.status === 'Succeeded' && answer;
    });
    assert.deepEqual(Object.keys(poll).sort(), ['endTime', 'id', 'name', 'startTime', 'status']);
  });

  it('creates the default database and an access policy assignment; listKeys is refused with access keys disabled', async () => {
    const db = await arm.resources.beginCreateOrUpdateByIdAndWait(`${clusterPath('amr-1')}/databases/default`, API, databaseBody, fastPoll);
    assert.equal(db.name, 'amr-1/default');
    assert.equal(db.type, 'Microsoft.Cache/redisEnterprise/databases');
    assert.deepEqual(
      { ...(db.properties as Record<string, unknown>), modules: undefined, persistence: undefined },
      {
        provisioningState: 'Succeeded',
        resourceState: 'Running',
        clientProtocol: 'Encrypted',
        clusteringPolicy: 'NoCluster',
        evictionPolicy: 'NoEviction',
        port: 10000,
        deferUpgrade: 'NotDeferred',
        accessKeysAuthentication: 'Disabled',
        redisVersion: '7.4',
        modules: undefined,
        persistence: undefined,
      },
    );
    const assignmentId = `${clusterPath('amr-1')}/databases/default/accessPolicyAssignments/balancer`;
    const body = { properties: { accessPolicyName: 'default', user: { objectId: OBJECT_ID } } };
    const first = await rawRequest(twin, 'PUT', `${assignmentId}?api-version=${API}`, { body });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(first.json(), {
      id: assignmentId,
      name: 'balancer',
      type: 'Microsoft.Cache/redisEnterprise/accessPolicyAssignments',
      properties: { provisioningState: 'Succeeded', accessPolicyName: 'default', user: { objectId: OBJECT_ID } },
    });
    const again = await arm.resources.beginCreateOrUpdateByIdAndWait(assignmentId, API, body, fastPoll);
    assert.equal((again.properties as { user: { objectId: string } }).user.objectId, OBJECT_ID);
    assert.equal(twin.requests.at(-1)!.status, 200, 'a re-PUT answers 200');

    const keys = await rawRequest(twin, 'POST', `${clusterPath('amr-1')}/databases/default/listKeys?api-version=${API}`);
    assert.equal(keys.status, 400);
    assert.match((keys.json() as { error: { message: string } }).error.message, /Access keys authentication is disabled/);
    await arm.resources.beginCreateOrUpdateByIdAndWait(
      `${clusterPath('amr-1')}/databases/default`,
      API,
      { properties: { ...databaseBody.properties, accessKeysAuthentication: 'Enabled' } },
      fastPoll,
    );
    const enabled = await rawRequest(twin, 'POST', `${clusterPath('amr-1')}/databases/default/listKeys?api-version=${API}`);
    assert.deepEqual(Object.keys(enabled.json() as object).sort(), ['primaryKey', 'secondaryKey']);
  });

  it("answers ARM's 404s, 409 while busy, and checks names, SKU, policy and objectId", async () => {
    const missing = await rawRequest(twin, 'GET', `${clusterPath('nope')}?api-version=${API}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), {
      error: {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.Cache/redisEnterprise/nope' under resource group '${RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      },
    });
    const noDb = await rawRequest(twin, 'GET', `${clusterPath('amr-1')}/databases/other?api-version=${API}`);
    assert.equal((noDb.json() as { error: { code: string } }).error.code, 'ResourceNotFound');
    const noGroup = await rawRequest(
      twin,
      'GET',
      `/subscriptions/${twin.subscriptionId}/resourceGroups/none/providers/Microsoft.Cache/redisEnterprise/x?api-version=${API}`,
    );
    assert.equal((noGroup.json() as { error: { code: string } }).error.code, 'ResourceGroupNotFound');

    twin.latencies.set('RedisEnterprise_Create', 60_000);
    const slow = await rawRequest(twin, 'PUT', `${clusterPath('amr-slow')}?api-version=${API}`, { body: clusterBody });
    assert.equal(slow.status, 201);
    const conflict = await rawRequest(twin, 'PUT', `${clusterPath('amr-slow')}?api-version=${API}`, { body: clusterBody });
    assert.equal(conflict.status, 409);
    assert.equal((conflict.json() as { error: { code: string } }).error.code, 'Conflict');
    const dbOnBusy = await rawRequest(twin, 'PUT', `${clusterPath('amr-slow')}/databases/default?api-version=${API}`, { body: databaseBody });
    assert.equal(dbOnBusy.status, 409);
    twin.latencies.set('RedisEnterprise_Create', 0);

    const bad = async (path: string, body: unknown, code: string) => {
      const r = await rawRequest(twin, 'PUT', `${path}?api-version=${API}`, { body });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal((r.json() as { error: { code: string } }).error.code, code);
    };
    await bad(clusterPath('-bad--name'), clusterBody, 'InvalidResourceName');
    await bad(clusterPath('amr-2'), { ...clusterBody, sku: { name: 'Basic_C0' } }, 'BadRequest');
    await bad(clusterPath('amr-2'), { ...clusterBody, location: undefined }, 'LocationRequired');
    await bad(clusterPath('amr-2'), { ...clusterBody, properties: { minimumTlsVersion: '1.2' } }, 'BadRequest');
    const assignments = `${clusterPath('amr-1')}/databases/default/accessPolicyAssignments`;
    await bad(`${assignments}/with-hyphen`, { properties: { accessPolicyName: 'default', user: { objectId: OBJECT_ID } } }, 'InvalidResourceName');
    await bad(`${assignments}/other`, { properties: { accessPolicyName: 'owner', user: { objectId: OBJECT_ID } } }, 'BadRequest');
    await bad(`${assignments}/other`, { properties: { accessPolicyName: 'default', user: { objectId: 'me' } } }, 'BadRequest');
    await bad(`${clusterPath('amr-1')}/databases/default`, { properties: { ...databaseBody.properties, port: 10001 } }, 'BadRequest');
  });

  it('deletes a cluster (202 + Azure-AsyncOperation + Location, then 204) and lists what is left', async () => {
    const del = await rawRequest(twin, 'DELETE', `${clusterPath('amr-raw')}?api-version=${API}`);
    assert.equal(del.status, 202);
    assert.ok(del.headers['azure-asyncoperation'] && del.headers.location);
    await arm.resources.beginCreateOrUpdateByIdAndWait(clusterPath('amr-3'), API, clusterBody, fastPoll);
    await arm.resources.beginDeleteByIdAndWait(clusterPath('amr-3'), API, fastPoll);
    const gone = await rawRequest(twin, 'DELETE', `${clusterPath('amr-3')}?api-version=${API}`);
    assert.equal(gone.status, 204);
    const list = await rawRequest(
      twin,
      'GET',
      `/subscriptions/${twin.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Cache/redisEnterprise?api-version=${API}`,
    );
    assert.deepEqual(
      (list.json() as { value: Array<{ name: string }> }).value.map((c) => c.name).filter((n) => n !== 'amr-raw'),
      ['amr-1', 'amr-slow'],
    );
  });

  it('a resource-group delete takes the clusters with it', async () => {
    await arm.resourceGroups.beginDeleteAndWait(RG, fastPoll);
    assert.equal(twin.redis.clusters.size, 0);
    const bad = await rawRequest(twin, 'GET', `/subscriptions/${twin.subscriptionId}/providers/Microsoft.Cache/redisEnterprise?api-version=2022-01-01`);
    assert.equal((bad.json() as { error: { code: string } }).error.code, 'InvalidApiVersionParameter');
  });
});
