import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan, resourceToken, type UpSettings } from '../../../src/ops/plan.js';

const settings: UpSettings = {
  environmentName: 'lb-dev',
  subscriptionId: '00000000-1111-2222-3333-444444444444',
  location: 'eastus2',
  regions: ['eastus2', 'swedencentral', 'westus3'],
  chat: { deployment: 'chat', model: { name: 'gpt-4o-mini', version: '2024-07-18' } },
  embedding: { deployment: 'embedding', model: { name: 'text-embedding-3-large', version: '1' } },
  sku: 'Standard',
  capacity: 30,
};

test('the resource token is stable, 13 lower-case characters, and differs by subscription, environment and location', () => {
  const token = resourceToken(settings.subscriptionId, 'lb-dev', 'eastus2');
  assert.match(token, /^[a-z2-7]{13}$/);
  assert.equal(resourceToken(settings.subscriptionId.toUpperCase(), 'LB-DEV', 'EastUS2'), token, 'case does not matter, as in ARM');
  assert.notEqual(resourceToken(settings.subscriptionId, 'lb-prod', 'eastus2'), token);
  assert.notEqual(resourceToken(settings.subscriptionId, 'lb-dev', 'westus3'), token);
  assert.notEqual(resourceToken('99999999-1111-2222-3333-444444444444', 'lb-dev', 'eastus2'), token);
});

test("names follow Azure's rules for each resource type and are the same on every run", () => {
  const first = plan(settings);
  assert.deepEqual(plan(settings), first);
  for (const account of first.accounts) {
    assert.match(account.name, /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/);
    assert.equal(account.customSubDomainName, account.name);
    assert.equal(account.endpoint, `https://${account.name}.openai.azure.com/`);
  }
  assert.deepEqual(
    first.accounts.map((a) => a.name.split('-')[0]),
    ['openai1', 'openai2', 'openai3'],
    'the Learn article\'s "openai3" still names the third',
  );
  assert.match(first.registry!.name, /^[a-z0-9]{5,50}$/);
  assert.match(first.containerApp.name, /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/);
  assert.match(first.workspace.name, /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/);
  assert.equal(first.resourceGroup.name, 'lb-dev-rg');
  assert.equal(first.tags['aoai-lb-env'], 'lb-dev');
});

test('each account gets a chat and an embedding deployment with the SKU and capacity asked for', () => {
  const result = plan({ ...settings, sku: 'GlobalStandard', capacity: 50 });
  for (const account of result.accounts) {
    assert.deepEqual(
      account.deployments.map((d) => [d.name, d.model.name, d.sku.name, d.sku.capacity, d.usageName]),
      [
        ['chat', 'gpt-4o-mini', 'GlobalStandard', 50, 'OpenAI.GlobalStandard.gpt-4o-mini'],
        ['embedding', 'text-embedding-3-large', 'GlobalStandard', 50, 'OpenAI.GlobalStandard.text-embedding-3-large'],
      ],
    );
  }
});

test('quota needs add up per region and usage name', () => {
  const result = plan({ ...settings, regions: ['eastus2', 'eastus2', 'westus3'] });
  const eastChat = result.quotaNeeds.find((need) => need.region === 'eastus2' && need.usageName === 'OpenAI.Standard.gpt-4o-mini');
  assert.equal(eastChat?.capacity, 60, 'two accounts in one region draw on one quota');
  assert.equal(result.quotaNeeds.length, 4);
});

test('priorities default to 1 and follow the accounts when given', () => {
  assert.deepEqual(
    plan(settings).accounts.map((a) => a.priority),
    [1, 1, 1],
  );
  assert.deepEqual(
    plan({ ...settings, priorities: [1, 1, 2] }).accounts.map((a) => a.priority),
    [1, 1, 2],
  );
});

test('the step graph: acyclic, deployments of one account in sequence, the app after everything it needs', () => {
  const { steps } = plan(settings);
  const ids = new Set(steps.map((step) => step.id));
  const done = new Set<string>();
  // Each step's dependencies come earlier in the list: a topological order, so no cycle.
  for (const step of steps) {
    for (const dependency of step.dependsOn) {
      assert.ok(ids.has(dependency), `${step.id} depends on unknown ${dependency}`);
      assert.ok(done.has(dependency), `${step.id} listed before its dependency ${dependency}`);
    }
    done.add(step.id);
  }
  const byId = new Map(steps.map((step) => [step.id, step]));
  assert.deepEqual(byId.get('account1.embedding')!.dependsOn, ['account1.chat']);
  assert.deepEqual(byId.get('account1.chat')!.dependsOn, ['account1']);
  assert.deepEqual(byId.get('account2')!.dependsOn, ['group'], 'accounts are created concurrently');
  const app = byId.get('app')!.dependsOn;
  for (const needed of ['environment', 'account1.embedding', 'account3.role', 'registry.role', 'build'])
    assert.ok(app.includes(needed), `app waits for ${needed}`);
});

test('--image skips the registry and the build', () => {
  const result = plan({ ...settings, image: 'myregistry.azurecr.io/lb:1' });
  assert.equal(result.registry, undefined);
  assert.equal(result.image, 'myregistry.azurecr.io/lb:1');
  assert.ok(!result.steps.some((step) => step.id === 'build' || step.id === 'registry'));
});

test('--shared-state adds the store in the balancer region, its database and data access, all before the app', () => {
  assert.equal(plan(settings).sharedState, undefined);
  assert.ok(!plan(settings).steps.some((step) => step.id.startsWith('store')));
  const result = plan({ ...settings, sharedState: true });
  assert.equal(result.sharedState!.name, `redis-${result.resourceToken}`);
  assert.equal(result.sharedState!.location, settings.location);
  assert.equal(result.sharedState!.sku, 'Balanced_B0');
  const byId = new Map(result.steps.map((step) => [step.id, step.dependsOn]));
  assert.deepEqual(byId.get('store'), ['group']);
  assert.deepEqual(byId.get('store.database'), ['store']);
  assert.deepEqual(byId.get('store.access'), ['store.database', 'identity']);
  assert.ok(byId.get('app')!.includes('store.access'));
});
