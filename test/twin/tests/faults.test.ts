// Fault injection and latency on the twin, observed through the real SDK clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient, type Account } from '@azure/arm-cognitiveservices';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';

const account = (sub: string): Account => ({
  location: 'eastus',
  kind: 'OpenAI',
  sku: { name: 'S0' },
  properties: { customSubDomainName: sub, disableLocalAuth: true },
});

describe('twin: faults and latency', () => {
  let twin: Twin;
  let cs: CognitiveServicesManagementClient;
  let rm: ResourceManagementClient;
  before(async () => {
    twin = await startTwin();
    cs = new CognitiveServicesManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-f', { location: 'eastus' });
    await cs.accounts.beginCreateAndWait('rg-f', 'acc-f', account('acc-f-sub'), fastPoll);
  });
  after(() => twin.close());

  it('answers 429 with Retry-After; the SDK retries and succeeds', async () => {
    twin.faults.inject('Accounts_Get', { kind: 'throttle', times: 2, retryAfterSeconds: 0 });
    const got = await cs.accounts.get('rg-f', 'acc-f');
    assert.equal(got.name, 'acc-f');
    assert.equal(twin.faults.fired.get('Accounts_Get'), 2);
    const statuses = twin.requests.filter((r) => r.operationId === 'Accounts_Get').map((r) => r.status);
    assert.deepEqual(statuses.slice(-3), [429, 429, 200]);
  });

  it('shapes the 429 as ARM throttling', async () => {
    twin.faults.inject('ResourceGroups_Get', { kind: 'throttle', retryAfterSeconds: 7 });
    const res = await rawRequest(twin, 'GET', `/subscriptions/${twin.subscriptionId}/resourcegroups/rg-f?api-version=2025-04-01`);
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '7');
    assert.equal((res.json() as { error: { code: string } }).error.code, 'TooManyRequests');
  });

  it('answers 500 once; the SDK retries and succeeds', async () => {
    twin.faults.inject('Deployments_List', { kind: 'serverError' });
    const list = [];
    for await (const d of cs.deployments.list('rg-f', 'acc-f')) list.push(d);
    assert.deepEqual(list, []);
    assert.equal(twin.faults.remaining('Deployments_List'), 0);
  });

  it('ends a long-running operation Failed and the SDK caller sees the error code', async () => {
    twin.faults.inject('Accounts_Create', { kind: 'lroFailed', code: 'InternalServerError', message: 'Provisioning failed (injected).' });
    await assert.rejects(cs.accounts.beginCreateAndWait('rg-f', 'acc-fail', account('acc-fail-sub'), fastPoll), (e: Error) => {
      // core-lro 2.7 turns a Failed status into a plain Error carrying the code in its message.
      assert.equal(e.message, 'The long-running operation has failed. InternalServerError. Provisioning failed (injected).');
      return true;
    });
    const failed = await cs.accounts.get('rg-f', 'acc-fail');
    assert.equal(failed.properties?.provisioningState, 'Failed');
    // A failed resource-group delete surfaces through Location-mode polling too.
    await rm.resourceGroups.createOrUpdate('rg-keep', { location: 'eastus' });
    twin.faults.inject('ResourceGroups_Delete', { kind: 'lroFailed', code: 'ResourceGroupDeletionBlocked', message: 'Deletion blocked (injected).' });
    await assert.rejects(
      rm.resourceGroups.beginDeleteAndWait('rg-keep', fastPoll),
      (e: { code?: string; message: string }) => e.code === 'ResourceGroupDeletionBlocked' || e.message.includes('ResourceGroupDeletionBlocked'),
    );
    assert.equal((await rm.resourceGroups.get('rg-keep')).properties?.provisioningState, 'Succeeded');
  });

  it('hangs a request until the client gives up', async () => {
    twin.faults.inject('Accounts_ListByResourceGroup', { kind: 'hang' });
    const controller = new AbortController();
    const pending = (async () => {
      for await (const a of cs.accounts.listByResourceGroup('rg-f', { abortSignal: controller.signal })) void a;
    })();
    while (!twin.requests.some((r) => r.operationId === 'Accounts_ListByResourceGroup')) await new Promise((r) => setImmediate(r));
    controller.abort();
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
  });

  it('applies a per-operation latency: the operation runs at least that long', async () => {
    twin.latencies.set('Accounts_Create', 300);
    try {
      const started = Date.now();
      const poller = await cs.accounts.beginCreate('rg-f', 'acc-slow', account('acc-slow-sub'), fastPoll);
      const done = await poller.pollUntilDone();
      assert.equal(done.properties?.provisioningState, 'Succeeded');
      assert.ok(Date.now() - started >= 290, 'took at least the configured latency');
      // The twin's own clock: the status resource's startTime and endTime are the latency apart.
      const statusUrl = twin.requests.filter((r) => r.operationId === 'OperationStatus_Get').at(-1)!.path;
      const status = (await rawRequest(twin, 'GET', `${statusUrl}?api-version=2017-04-18`)).json() as { status: string; startTime: string; endTime: string };
      assert.equal(status.status, 'Succeeded');
      assert.ok(Date.parse(status.endTime) - Date.parse(status.startTime) >= 290, JSON.stringify(status));
    } finally {
      twin.latencies.set('Accounts_Create', 0);
    }
  });

  it('a held operation reports Creating until the test releases it', async () => {
    const hold = twin.latencies.hold('Accounts_Create');
    try {
      const poller = await cs.accounts.beginCreate('rg-f', 'acc-held', account('acc-held-sub'), fastPoll);
      assert.equal(hold.held, 1);
      const during = await cs.accounts.get('rg-f', 'acc-held');
      assert.equal(during.properties?.provisioningState, 'Creating');
      await poller.poll();
      assert.equal(poller.isDone(), false, 'the SDK sees the operation still running');
      assert.equal((await cs.accounts.get('rg-f', 'acc-held')).properties?.provisioningState, 'Creating');
      hold.release();
      const done = await poller.pollUntilDone();
      assert.equal(done.properties?.provisioningState, 'Succeeded');
    } finally {
      hold.release();
    }
  });

  it('closes promptly with a request still hanging', async () => {
    const other = await startTwin();
    other.faults.inject('Subscriptions_List', { kind: 'hang' });
    const hung = rawRequest(other, 'GET', '/subscriptions?api-version=2022-12-01').catch((e: Error) => e);
    while (!other.requests.length) await new Promise((r) => setImmediate(r));
    const t0 = Date.now();
    await other.close();
    // Without ending the open connection, close() would wait for the hung request for good.
    assert.ok(Date.now() - t0 < 10_000, `closed after ${Date.now() - t0} ms`);
    assert.ok((await hung) instanceof Error);
  });
});
