// Deployments, quota and model availability on the twin through the real CognitiveServicesManagementClient.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient, type Deployment } from '@azure/arm-cognitiveservices';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, sdkOptions, staticCredential } from '../sdk.js';

const chat = (capacity: number, sku = 'Standard'): Deployment => ({
  sku: { name: sku, capacity },
  properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' }, versionUpgradeOption: 'OnceNewDefaultVersionAvailable' },
});

describe('twin: deployments, quota, models', () => {
  let twin: Twin;
  let cs: CognitiveServicesManagementClient;
  const changes: { account: string; deployment: string; capacity: number }[] = [];
  before(async () => {
    twin = await startTwin({ regions: { eastus: { limits: { 'OpenAI.Standard.gpt-4o-mini': 50 } }, westus: { models: ['text-embedding-3-large'] } } });
    twin.events.onDeploymentChanged((a, d, capacity) => changes.push({ account: a.name, deployment: d.name, capacity }));
    cs = new CognitiveServicesManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-dep', { location: 'eastus' });
    for (const [name, location] of [
      ['acc-e1', 'eastus'],
      ['acc-e2', 'eastus'],
      ['acc-w', 'westus'],
    ] as const) {
      await cs.accounts.beginCreateAndWait(
        'rg-dep',
        name,
        {
          location,
          kind: 'OpenAI',
          sku: { name: 'S0' },
          properties: { customSubDomainName: `${name}-sub`, disableLocalAuth: true },
        },
        fastPoll,
      );
    }
  });
  after(() => twin.close());

  it('creates, updates capacity, lists and deletes a deployment; hooks see the TPM', async () => {
    const created = await cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e1', 'chat', chat(20), fastPoll);
    assert.equal(created.properties?.provisioningState, 'Succeeded');
    assert.deepEqual(created.sku, { name: 'Standard', capacity: 20 });
    assert.deepEqual(created.properties?.model, { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' });
    assert.equal(created.type, 'Microsoft.CognitiveServices/accounts/deployments');
    assert.equal(
      created.id,
      `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-dep/providers/Microsoft.CognitiveServices/accounts/acc-e1/deployments/chat`,
    );
    assert.deepEqual(changes.at(-1), { account: 'acc-e1', deployment: 'chat', capacity: 20 });

    const patched = await cs.deployments.beginUpdateAndWait('rg-dep', 'acc-e1', 'chat', { sku: { name: 'Standard', capacity: 30 } }, fastPoll);
    assert.equal(patched.sku?.capacity, 30);
    assert.equal(patched.properties?.provisioningState, 'Succeeded');
    assert.deepEqual(changes.at(-1), { account: 'acc-e1', deployment: 'chat', capacity: 30 });
    const reput = await cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e1', 'chat', chat(25), fastPoll);
    assert.equal(reput.sku?.capacity, 25);

    const names = [];
    for await (const d of cs.deployments.list('rg-dep', 'acc-e1')) names.push(d.name);
    assert.deepEqual(names, ['chat']);
    await cs.deployments.beginDeleteAndWait('rg-dep', 'acc-e1', 'chat', fastPoll);
    await assert.rejects(
      cs.deployments.get('rg-dep', 'acc-e1', 'chat'),
      (e: { statusCode: number; code: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound',
    );
  });

  it('accounts quota per subscription + region + model across accounts, with InsufficientQuota', async () => {
    await cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e1', 'chat', chat(30), fastPoll);
    const usage = async () => {
      for await (const u of cs.usages.list('eastus')) if (u.name?.value === 'OpenAI.Standard.gpt-4o-mini') return u;
      throw new Error('usage missing');
    };
    assert.deepEqual([(await usage()).currentValue, (await usage()).limit], [30, 50]);
    await assert.rejects(
      cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e2', 'chat', chat(30), fastPoll),
      (e: { statusCode: number; code: string; message: string }) => {
        assert.equal(e.statusCode, 400);
        assert.equal(e.code, 'InsufficientQuota');
        assert.equal(
          e.message,
          'This operation require 30 new capacity in quota Tokens Per Minute (thousands) - gpt-4o-mini, which is bigger than the current available capacity 20. The current quota usage is 30 and the quota limit is 50 for quota OpenAI.Standard.gpt-4o-mini.',
        );
        return true;
      },
    );
    await cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e2', 'chat', chat(20), fastPoll);
    await assert.rejects(
      cs.deployments.beginUpdateAndWait('rg-dep', 'acc-e2', 'chat', { sku: { name: 'Standard', capacity: 21 } }, fastPoll),
      (e: { code: string }) => e.code === 'InsufficientQuota',
    );
    const capacities = [];
    for await (const c of cs.locationBasedModelCapacities.list('eastus', 'OpenAI', 'gpt-4o-mini', '2024-07-18')) capacities.push(c);
    const standard = capacities.find((c) => c.name === 'Standard');
    assert.equal(standard?.properties?.availableCapacity, 0);
    // GlobalStandard is a separate quota.
    await cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e2', 'chat-global', chat(100, 'GlobalStandard'), fastPoll);
  });

  it('keeps quota held by a soft-deleted account until it is purged', async () => {
    await cs.accounts.beginDeleteAndWait('rg-dep', 'acc-e2', fastPoll);
    await assert.rejects(
      cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e1', 'chat', chat(50), fastPoll),
      (e: { code: string }) => e.code === 'InsufficientQuota',
    );
    await cs.deletedAccounts.beginPurgeAndWait('eastus', 'rg-dep', 'acc-e2', fastPoll);
    const grown = await cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-e1', 'chat', chat(50), fastPoll);
    assert.equal(grown.sku?.capacity, 50);
  });

  it('lists the models a region offers, joined to usages by usageName', async () => {
    const models = [];
    for await (const m of cs.models.list('westus')) models.push(m);
    assert.deepEqual(
      models.map((m) => m.model?.name),
      ['text-embedding-3-large'],
    );
    const skus = models[0]!.model!.skus!;
    assert.deepEqual(
      skus.map((s) => s.usageName),
      ['OpenAI.Standard.text-embedding-3-large', 'OpenAI.GlobalStandard.text-embedding-3-large'],
    );
    const usageNames = [];
    for await (const u of cs.usages.list('westus')) usageNames.push(u.name?.value);
    assert.ok(usageNames.includes('AccountCount'));
    for (const s of skus) assert.ok(usageNames.includes(s.usageName), s.usageName);
  });

  it('rejects a model the region does not offer', async () => {
    await assert.rejects(
      cs.deployments.beginCreateOrUpdateAndWait('rg-dep', 'acc-w', 'chat', chat(10), fastPoll),
      (e: { statusCode: number; code: string; message: string }) => {
        assert.equal(e.statusCode, 400);
        assert.equal(e.code, 'InvalidResourceProperties');
        assert.equal(e.message, "The specified SKU 'Standard' for model 'gpt-4o-mini 2024-07-18' is not supported in this region 'westus'.");
        return true;
      },
    );
    twin.catalog.withdraw('westus', 'text-embedding-3-large', 'GlobalStandard');
    await assert.rejects(
      cs.deployments.beginCreateOrUpdateAndWait(
        'rg-dep',
        'acc-w',
        'emb',
        {
          sku: { name: 'GlobalStandard', capacity: 10 },
          properties: { model: { format: 'OpenAI', name: 'text-embedding-3-large', version: '1' } },
        },
        fastPoll,
      ),
      (e: { code: string }) => e.code === 'InvalidResourceProperties',
    );
  });
});
