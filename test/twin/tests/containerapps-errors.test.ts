// Container Apps validation errors, an injected LRO failure and the resource-group cascade, through the
// real ContainerAppsAPIClient / OperationalInsightsManagementClient / ResourceManagementClient.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient, type ContainerApp } from '@azure/arm-appcontainers';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, sdkOptions, staticCredential } from '../sdk.js';
import type { ContainerAppSnapshot } from '../providers/app-state.js';

type RestError = { statusCode?: number; code?: string; message: string };
const is = (status: number, code: string, text?: RegExp) => (e: RestError) => {
  assert.equal(e.statusCode, status);
  assert.equal(e.code, code);
  if (text) assert.match(e.message, text);
  return true;
};

describe('twin: Container Apps errors, faults and resource-group delete', () => {
  let twin: Twin;
  let ca: ContainerAppsAPIClient;
  let oi: OperationalInsightsManagementClient;
  let rm: ResourceManagementClient;
  let envId = '';
  const app = (over: Partial<ContainerApp> = {}): ContainerApp => ({
    location: 'westeurope',
    managedEnvironmentId: envId,
    configuration: { ingress: { external: true, targetPort: 80 } },
    template: { containers: [{ name: 'web', image: 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest' }] },
    ...over,
  });

  before(async () => {
    twin = await startTwin();
    ca = new ContainerAppsAPIClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    oi = new OperationalInsightsManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-err', { location: 'westeurope' });
    const ws = await oi.workspaces.beginCreateOrUpdateAndWait('rg-err', 'law-err', { location: 'westeurope' }, fastPoll);
    const keys = await oi.sharedKeysOperations.getSharedKeys('rg-err', 'law-err');
    const env = await ca.managedEnvironments.beginCreateOrUpdateAndWait(
      'rg-err',
      'cae-err',
      {
        location: 'westeurope',
        appLogsConfiguration: { destination: 'log-analytics', logAnalyticsConfiguration: { customerId: ws.customerId!, sharedKey: keys.secondarySharedKey! } },
      },
      fastPoll,
    );
    envId = env.id!;
  });
  after(() => twin.close());

  it('refuses an app whose environment does not exist', async () => {
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait('rg-err', 'app-noenv', app({ managedEnvironmentId: envId.replace('cae-err', 'cae-missing') }), fastPoll),
      is(404, 'ManagedEnvironmentNotFound'),
    );
  });

  it('refuses an env var whose secretRef is not a defined secret', async () => {
    const bad = app({ template: { containers: [{ name: 'web', image: 'nginx', env: [{ name: 'KEY', secretRef: 'api-key' }] }] } });
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait('rg-err', 'app-secret', bad, fastPoll),
      is(400, 'InvalidParameterValueInContainerTemplate', /SecretRef 'api-key' defined for container 'web' not found/),
    );
    await assert.rejects(ca.containerApps.get('rg-err', 'app-secret'), is(404, 'ResourceNotFound'));
  });

  it('refuses a secret with neither value nor keyVaultUrl + identity', async () => {
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait('rg-err', 'app-nosecret', app({ configuration: { secrets: [{ name: 'empty' }] } }), fastPoll),
      is(400, 'ContainerAppSecretInvalid', /'empty'/),
    );
  });

  it('refuses an ACR image without registry credentials, and a registry without identity or password', async () => {
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait(
        'rg-err',
        'app-acr',
        app({ template: { containers: [{ name: 'web', image: 'myacr.azurecr.io/lb:1' }] } }),
        fastPoll,
      ),
      is(400, 'InvalidParameterValueInContainerTemplate', /UNAUTHORIZED: authentication required/),
    );
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait(
        'rg-err',
        'app-reg',
        app({ configuration: { registries: [{ server: 'myacr.azurecr.io' }] }, template: { containers: [{ name: 'web', image: 'myacr.azurecr.io/lb:1' }] } }),
        fastPoll,
      ),
      is(400, 'InvalidParameterValueInContainerTemplate', /configuration\.registries/),
    );
    const uami = `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-err/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-x`;
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait(
        'rg-err',
        'app-regid',
        app({
          configuration: { registries: [{ server: 'myacr.azurecr.io', identity: uami }] },
          template: { containers: [{ name: 'web', image: 'myacr.azurecr.io/lb:1' }] },
        }),
        fastPoll,
      ),
      is(400, 'InvalidParameterValueInContainerTemplate', /is not assigned to the container app/),
    );
    const ok = await ca.containerApps.beginCreateOrUpdateAndWait(
      'rg-err',
      'app-regok',
      app({
        identity: { type: 'UserAssigned', userAssignedIdentities: { [uami]: {} } },
        configuration: { registries: [{ server: 'myacr.azurecr.io', identity: uami }] },
        template: { containers: [{ name: 'web', image: 'myacr.azurecr.io/lb:1' }] },
      }),
      fastPoll,
    );
    assert.equal(ok.provisioningState, 'Succeeded');
  });

  it('refuses an invalid app name', async () => {
    await assert.rejects(ca.containerApps.beginCreateOrUpdateAndWait('rg-err', 'Bad--Name', app(), fastPoll), is(400, 'ContainerAppInvalidName'));
  });

  it('surfaces an injected LRO failure on ContainerApps_CreateOrUpdate and leaves the app Failed', async () => {
    twin.faults.inject('ContainerApps_CreateOrUpdate', { kind: 'lroFailed', code: 'ContainerAppProvisioningFailed', message: 'Revision failed to start.' });
    await assert.rejects(
      ca.containerApps.beginCreateOrUpdateAndWait('rg-err', 'app-fail', app(), fastPoll),
      /ContainerAppProvisioningFailed\. Revision failed to start\./,
    );
    const failed = await ca.containerApps.get('rg-err', 'app-fail');
    assert.equal(failed.provisioningState, 'Failed');
    assert.equal(twin.faults.fired.get('ContainerApps_CreateOrUpdate'), 1);
    const retried = await ca.containerApps.beginCreateOrUpdateAndWait('rg-err', 'app-fail', app(), fastPoll);
    assert.equal(retried.provisioningState, 'Succeeded');
  });

  it('throttles ContainerApps_Get by operationId; the SDK retries', async () => {
    twin.faults.inject('ContainerApps_Get', { kind: 'throttle', times: 1, retryAfterSeconds: 0 });
    assert.equal((await ca.containerApps.get('rg-err', 'app-fail')).name, 'app-fail');
    assert.equal(twin.faults.fired.get('ContainerApps_Get'), 1);
  });

  it('deleting the resource group removes the workspace, the environment and the apps', async () => {
    const deleted: string[] = [];
    twin.events.on('containerAppDeleted', (s: ContainerAppSnapshot) => deleted.push(s.name));
    await rm.resourceGroups.beginDeleteAndWait('rg-err', fastPoll);
    assert.deepEqual(deleted.sort(), ['app-fail', 'app-regok']);
    await rm.resourceGroups.createOrUpdate('rg-err', { location: 'westeurope' });
    await assert.rejects(ca.containerApps.get('rg-err', 'app-fail'), is(404, 'ResourceNotFound'));
    await assert.rejects(ca.managedEnvironments.get('rg-err', 'cae-err'), is(404, 'ResourceNotFound'));
    await assert.rejects(oi.workspaces.get('rg-err', 'law-err'), is(404, 'ResourceNotFound'));
  });
});
