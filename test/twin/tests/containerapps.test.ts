// Container Apps on the twin through the real ContainerAppsAPIClient: a managed environment wired to a
// Log Analytics workspace (LRO as recorded), a container app (create shape vs the recordings/examples,
// PATCH → new revision with the same FQDN, secrets hidden/listed, revisions, replicas, getAuthToken,
// delete) and the containerAppChanged / containerAppDeleted events.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient, type ContainerApp } from '@azure/arm-appcontainers';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';
import { waitFor } from '../../helpers/wait.js';
import type { ContainerAppSnapshot } from '../providers/app-state.js';

const FIXTURES = '/work/shared/azure-fixtures';
const json = (p: string) => JSON.parse(readFileSync(`${FIXTURES}/${p}`, 'utf8')) as Record<string, unknown>;
type Entry = { RequestMethod: string; RequestUri: string; StatusCode: number; ResponseBody: Record<string, unknown> };
const envRecording = json('recordings/sdk-js/arm-appcontainers/recording_managedenvironments_create_test.json').Entries as Entry[];
const appRecording = json('recordings/sdk-js/arm-appcontainers/recording_containerapp_create_test.json').Entries as Entry[];
const getExample = (json('specs-examples/Microsoft.App/ContainerApps_Get.json').responses as Record<string, { body: { properties: object } }>)['200']!.body;
const keysOf = (o: unknown) => Object.keys(o as object);
const UAMI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ca/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-ca';

describe('twin: Container Apps', () => {
  let twin: Twin;
  let ca: ContainerAppsAPIClient;
  let envId = '';
  let domain = '';
  const changed: ContainerAppSnapshot[] = [];
  const deleted: ContainerAppSnapshot[] = [];
  const appBody = (image: string): ContainerApp => ({
    location: 'eastus2',
    managedEnvironmentId: envId,
    identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI]: {} } },
    configuration: {
      activeRevisionsMode: 'Single',
      ingress: { external: true, targetPort: 8080, transport: 'auto', allowInsecure: false, traffic: [{ latestRevision: true, weight: 100 }] },
      secrets: [{ name: 'lb-config', value: '{"backends":[]}' }],
      registries: [{ server: 'acrca.azurecr.io', identity: UAMI }],
    },
    template: {
      containers: [
        {
          name: 'balancer',
          image,
          resources: { cpu: 0.5, memory: '1Gi' },
          env: [
            { name: 'AZURE_CLIENT_ID', value: 'cid' },
            { name: 'CFG', secretRef: 'lb-config' },
          ],
          probes: [{ type: 'Liveness', httpGet: { path: '/healthz', port: 8080 } }],
        },
      ],
      scale: { minReplicas: 1, maxReplicas: 3, rules: [{ name: 'http', http: { metadata: { concurrentRequests: '50' } } }] },
    },
  });

  before(async () => {
    twin = await startTwin();
    twin.events.on('containerAppChanged', (s: ContainerAppSnapshot) => changed.push(s));
    twin.events.on('containerAppDeleted', (s: ContainerAppSnapshot) => deleted.push(s));
    ca = new ContainerAppsAPIClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-ca', { location: 'eastus2' });
  });
  after(() => twin.close());

  it('creates an environment wired to a workspace: 201 Waiting + Azure-AsyncOperation + Retry-After, then Succeeded', async () => {
    const oi = new OperationalInsightsManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const ws = await oi.workspaces.beginCreateOrUpdateAndWait('rg-ca', 'law-ca', { location: 'eastus2', sku: { name: 'PerGB2018' } }, fastPoll);
    const keys = await oi.sharedKeysOperations.getSharedKeys('rg-ca', 'law-ca');
    const logs = { destination: 'log-analytics', logAnalyticsConfiguration: { customerId: ws.customerId!, sharedKey: keys.primarySharedKey! } };
    const raw = await rawRequest(
      twin,
      'PUT',
      `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-ca/providers/Microsoft.App/managedEnvironments/cae-raw?api-version=2025-07-01`,
      { body: { location: 'eastus2', properties: { appLogsConfiguration: logs } } },
    );
    const [recordedPut] = envRecording;
    assert.equal(raw.status, recordedPut!.StatusCode);
    const body = raw.json() as { properties: Record<string, unknown> };
    for (const k of keysOf(recordedPut!.ResponseBody)) assert.ok(k in body, `env body has ${k}`);
    for (const k of keysOf(recordedPut!.ResponseBody.properties)) assert.ok(k in body.properties, `env properties has ${k}`);
    assert.equal(body.properties.provisioningState, 'Waiting');
    assert.match(
      String(raw.headers['azure-asyncoperation']),
      /\/providers\/Microsoft\.App\/locations\/eastus2\/managedEnvironmentOperationStatuses\/[0-9a-f-]{36}\?api-version=2025-07-01&azureAsyncOperation=true$/,
    );
    assert.equal(raw.headers['retry-after'], '0');

    const env = await ca.managedEnvironments.beginCreateOrUpdateAndWait('rg-ca', 'cae-ca', { location: 'eastus2', appLogsConfiguration: logs }, fastPoll);
    assert.equal(env.provisioningState, 'Succeeded');
    assert.match(String(env.defaultDomain), /^[a-z]+-[0-9a-f]{8}\.eastus2\.azurecontainerapps\.io$/);
    assert.match(String(env.staticIp), /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(env.appLogsConfiguration?.logAnalyticsConfiguration?.customerId, ws.customerId);
    assert.equal(env.appLogsConfiguration?.logAnalyticsConfiguration?.sharedKey, undefined, 'GET never returns the shared key');
    assert.ok(twin.requests.some((r) => r.operationId === 'ManagedEnvironmentsOperationStatuses_Get'));
    envId = env.id!;
    domain = env.defaultDomain!;
  });

  it('fails the environment LRO for a wrong shared key or an unknown customerId', async () => {
    const env = await ca.managedEnvironments.get('rg-ca', 'cae-ca');
    const customerId = env.appLogsConfiguration!.logAnalyticsConfiguration!.customerId!;
    for (const [name, la] of [
      ['cae-badkey', { customerId, sharedKey: 'd3Jvbmc=' }],
      ['cae-nows', { customerId: '11111111-2222-3333-4444-555555555555', sharedKey: 'd3Jvbmc=' }],
    ] as const) {
      await assert.rejects(
        ca.managedEnvironments.beginCreateOrUpdateAndWait(
          'rg-ca',
          name,
          { location: 'eastus2', appLogsConfiguration: { destination: 'log-analytics', logAnalyticsConfiguration: la } },
          fastPoll,
        ),
        /InvalidRequestParameterWithDetails\. LogAnalyticsConfiguration is invalid/,
      );
      assert.equal((await ca.managedEnvironments.get('rg-ca', name)).provisioningState, 'Failed');
    }
    await assert.rejects(
      ca.managedEnvironments.beginCreateOrUpdateAndWait(
        'rg-ca',
        'cae-notguid',
        { location: 'eastus2', appLogsConfiguration: { logAnalyticsConfiguration: { customerId: 'law-ca', sharedKey: 'x' } } },
        fastPoll,
      ),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 400 && e.code === 'InvalidRequestParameterWithDetails',
    );
  });

  it('creates an app: 201 InProgress as recorded, then the GET shape of the recordings and ContainerApps_Get.json', async () => {
    const [recordedPut] = appRecording;
    const path = `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-ca/providers/Microsoft.App/containerApps/app-raw?api-version=2025-07-01`;
    const put = await rawRequest(twin, 'PUT', path, {
      body: {
        location: 'eastus2',
        properties: {
          managedEnvironmentId: envId,
          template: { containers: [{ name: 'hello', image: 'mcr.microsoft.com/azuredocs/containerapps-helloworld' }] },
        },
      },
    });
    assert.equal(put.status, recordedPut!.StatusCode);
    const putBody = put.json() as { properties: Record<string, unknown> };
    for (const k of keysOf(recordedPut!.ResponseBody.properties)) assert.ok(k in putBody.properties, `201 properties has ${k}`);
    assert.equal(putBody.properties.provisioningState, 'InProgress');
    assert.equal(putBody.properties.latestRevisionName, '');
    assert.match(
      String(put.headers['azure-asyncoperation']),
      /\/locations\/eastus2\/containerappOperationStatuses\/[0-9a-f-]{36}\?api-version=2025-07-01&azureAsyncOperation=true$/,
    );
    assert.equal(put.headers['x-ms-async-operation-timeout'], 'PT15M');

    const app = await ca.containerApps.beginCreateOrUpdateAndWait('rg-ca', 'app-ca', appBody('acrca.azurecr.io/aoai-lb:v1'), fastPoll);
    const got = (await rawRequest(twin, 'GET', path.replace('app-raw', 'app-ca'))).json() as { properties: Record<string, unknown> };
    const recordedFinal = appRecording.at(-1)!.ResponseBody as { properties: Record<string, unknown> };
    for (const k of keysOf(recordedFinal)) assert.ok(k in got, `app has ${k}`);
    for (const k of keysOf(recordedFinal.properties)) assert.ok(k in got.properties, `app properties has ${k}`);
    for (const k of ['provisioningState', 'runningStatus', 'managedEnvironmentId', 'workloadProfileName', 'latestRevisionFqdn', 'latestReadyRevisionName']) {
      assert.ok(k in getExample.properties, `example has ${k}`);
      assert.ok(got.properties[k] !== undefined, `app has ${k}`);
    }
    assert.equal(app.provisioningState, 'Succeeded');
    assert.equal(app.runningStatus, 'Running');
    assert.equal(app.managedEnvironmentId, envId);
    assert.equal(app.environmentId, envId);
    assert.match(String(app.latestRevisionName), /^app-ca--[a-z0-9]{7}$/);
    assert.equal(app.latestReadyRevisionName, app.latestRevisionName);
    assert.equal(app.configuration?.ingress?.fqdn, `app-ca.${domain}`);
    assert.equal(app.latestRevisionFqdn, `${app.latestRevisionName}.${domain}`);
    assert.equal(app.configuration?.ingress?.targetPort, 8080);
    assert.equal(app.configuration?.ingress?.external, true);
    assert.deepEqual(app.configuration?.ingress?.traffic, [{ latestRevision: true, weight: 100 }]);
    assert.deepEqual(app.configuration?.secrets, [{ name: 'lb-config' }], 'secret values are never returned by GET');
    assert.equal(app.configuration?.registries?.[0]?.identity, UAMI);
    assert.equal(app.template?.containers?.[0]?.probes?.[0]?.httpGet?.path, '/healthz');
    assert.deepEqual(app.template?.scale?.rules?.[0]?.http?.metadata, { concurrentRequests: '50' });
    assert.equal(app.template?.scale?.minReplicas, 1);
    assert.match(String(app.identity?.userAssignedIdentities?.[UAMI]?.clientId), /^[0-9a-f-]{36}$/);
    assert.equal(
      app.eventStreamEndpoint,
      `https://eastus2.azurecontainerapps.dev/subscriptions/${twin.subscriptionId}/resourceGroups/rg-ca/containerApps/app-ca/eventstream`,
    );
    // The raw PUT of app-raw above finishes on its own schedule; pick app-ca's event.
    const event = changed.filter((candidate) => candidate.name === 'app-ca').at(-1);
    assert.ok(event, 'containerAppChanged fired for app-ca');
    assert.equal(event.fqdn, `app-ca.${domain}`);
    assert.equal(event.containers[0]!.image, 'acrca.azurecr.io/aoai-lb:v1');
    assert.deepEqual(event.containers[0]!.resolvedEnv, { AZURE_CLIENT_ID: 'cid', CFG: '{"backends":[]}' });
    assert.deepEqual(event.secrets, { 'lb-config': '{"backends":[]}' });
    assert.deepEqual(event.scale.maxReplicas, 3);
    assert.equal(event.ingress?.targetPort, 8080);
  });

  it('shows secret values only through listSecrets', async () => {
    const secrets = await ca.containerApps.listSecrets('rg-ca', 'app-ca');
    assert.deepEqual(secrets.value, [{ name: 'lb-config', value: '{"backends":[]}' }]);
  });

  it('PATCH answers 202 + Azure-AsyncOperation + Location, makes a new revision and keeps the FQDN', async () => {
    const before = await ca.containerApps.get('rg-ca', 'app-ca');
    const appPath = `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-ca/providers/Microsoft.App/containerApps/app-ca?api-version=2025-07-01`;
    // Held, so the PATCH is still running when the second one arrives, whatever the machine's load.
    const hold = twin.latencies.hold('ContainerApps_Update');
    try {
      const raw = await rawRequest(twin, 'PATCH', appPath, {
        body: {
          properties: {
            configuration: { secrets: null },
            template: { ...before.template, containers: [{ ...before.template!.containers![0]!, image: 'acrca.azurecr.io/aoai-lb:v2' }] },
          },
        },
      });
      assert.equal(raw.status, 202);
      assert.equal(raw.text, '');
      assert.match(
        String(raw.headers['azure-asyncoperation']),
        /\/locations\/eastus2\/containerappOperationStatuses\/[0-9a-f-]{36}\?api-version=2025-07-01&azureAsyncOperation=true$/,
      );
      assert.match(String(raw.headers.location), /\/locations\/eastus2\/containerappOperationResults\/[0-9a-f-]{36}\?api-version=2025-07-01$/);
      assert.equal(hold.held, 1);
      const busy = await rawRequest(twin, 'PATCH', appPath, { body: { properties: {} } });
      assert.equal(busy.status, 409, 'a second change while one runs is refused');
      assert.equal((busy.json() as { error: { code: string } }).error.code, 'ContainerAppOperationInProgress');
      const status = async () => ((await rawRequest(twin, 'GET', String(raw.headers['azure-asyncoperation']))).json() as { status: string }).status;
      assert.equal(await status(), 'InProgress');
      hold.release();
      await waitFor('the PATCH to succeed', async () => {
        const now = await status();
        return now === 'Succeeded' || (now !== 'InProgress' && assert.fail(`the PATCH ended ${now}`));
      });
    } finally {
      hold.release();
    }
    const updated = await ca.containerApps.beginUpdateAndWait(
      'rg-ca',
      'app-ca',
      { location: 'eastus2', template: { ...before.template, containers: [{ ...before.template!.containers![0]!, image: 'acrca.azurecr.io/aoai-lb:v3' }] } },
      fastPoll,
    );
    assert.equal(updated.template?.containers?.[0]?.image, 'acrca.azurecr.io/aoai-lb:v3', 'the Location result is the app');
    const after = await ca.containerApps.get('rg-ca', 'app-ca');
    assert.notEqual(after.latestRevisionName, before.latestRevisionName);
    assert.equal(after.configuration?.ingress?.fqdn, before.configuration?.ingress?.fqdn);
    assert.deepEqual(after.configuration?.secrets, [{ name: 'lb-config' }]);
    assert.equal((await ca.containerApps.listSecrets('rg-ca', 'app-ca')).value[0]!.value, '{"backends":[]}', 'PATCH without secret values keeps them');
    assert.equal(changed.filter((e) => e.name === 'app-ca').at(-1)!.containers[0]!.image, 'acrca.azurecr.io/aoai-lb:v3');

    const revisions = [];
    for await (const r of ca.containerAppsRevisions.listRevisions('rg-ca', 'app-ca')) revisions.push(r);
    assert.equal(revisions.length, 3);
    assert.deepEqual(
      revisions.map((r) => r.active),
      [false, false, true],
    );
    const latest = revisions.at(-1)!;
    assert.equal(latest.name, after.latestRevisionName);
    assert.equal(latest.fqdn, `${latest.name}.${domain}`);
    assert.equal(latest.trafficWeight, 100);
    assert.equal(latest.replicas, 1);
    const replicas = await ca.containerAppsRevisionReplicas.listReplicas('rg-ca', 'app-ca', latest.name!);
    assert.equal(replicas.value.length, 1);
    const replica = replicas.value[0]!;
    assert.match(String(replica.name), new RegExp(`^${latest.name}-[0-9a-f]{9}-[a-z0-9]{5}$`));
    assert.equal(replica.runningState, 'Running');
    assert.equal(replica.containers?.[0]?.name, 'balancer');
    assert.match(String(replica.containers?.[0]?.logStreamEndpoint), /\/revisions\/.+\/replicas\/.+\/containers\/balancer\/logstream$/);
  });

  it('a configuration-only PATCH makes no new revision', async () => {
    const before = await ca.containerApps.get('rg-ca', 'app-ca');
    await ca.containerApps.beginUpdateAndWait(
      'rg-ca',
      'app-ca',
      { location: 'eastus2', configuration: { secrets: [{ name: 'lb-config', value: 'v2' }] } },
      fastPoll,
    );
    assert.equal((await ca.containerApps.get('rg-ca', 'app-ca')).latestRevisionName, before.latestRevisionName);
    assert.equal(changed.filter((e) => e.name === 'app-ca').at(-1)!.secrets['lb-config'], 'v2');
  });

  it('getAuthToken answers {properties: {token, expires}} as in the example', async () => {
    const token = await ca.containerApps.getAuthToken('rg-ca', 'app-ca');
    assert.ok(String(token.token).length > 20);
    assert.ok(Date.parse(String(token.expires)) > Date.now());
    assert.equal(token.type, 'Microsoft.App/containerApps/accesstoken');
    assert.equal(token.location, 'eastus2');
  });

  it('deletes the app (202 + Azure-AsyncOperation) and tells the data plane', async () => {
    await ca.containerApps.beginDeleteAndWait('rg-ca', 'app-ca', fastPoll);
    await assert.rejects(
      ca.containerApps.get('rg-ca', 'app-ca'),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound',
    );
    assert.equal(deleted.at(-1)!.name, 'app-ca');
  });
});
