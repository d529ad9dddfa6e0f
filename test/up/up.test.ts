// `aoai-lb up` as a user runs it (the built CLI, a child process) against the Azure twin: the dry run
// changes nothing, the real run creates what issue 3 specifies, a chat request through the printed URL
// succeeds and the balancer logs "Proxying to", a second run changes nothing, and `env set
// OPENAI_CAPACITY 50` then `up` changes the deployments in place.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ResourceManagementClient } from '@azure/arm-resources';
import { AzureOpenAI } from 'openai';
import { fetch as undiciFetch } from 'undici';
import { sdkOptions, staticCredential } from '../twin/sdk.js';
import { ROLES } from '../twin/providers/roles.js';
import { runCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { fetchVia, startUpWorld, twinProxy, type UpWorld } from '../helpers/up-world.js';

const regions = ['eastus', 'swedencentral', 'westus3'];
const writes = (world: UpWorld, from: number) =>
  world.twin.requests
    .slice(from)
    .filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/listSecrets|getAuthtoken|listBuildSourceUploadUrl|listLogSasUrl/i.test(r.path));

describe('aoai-lb up against the Azure twin', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let result: {
    containerAppUrl: string;
    clientKey: string;
    resourceGroup: string;
    changed: boolean;
    accounts: Array<{ name: string; region: string; endpoint: string }>;
  };

  before(async () => {
    world = await startUpWorld();
  });
  after(async () => world?.close());

  it('--dry-run prints the plan and the quota check, and creates nothing', async () => {
    const run = await world.up(['--env', 'demo', '--regions', regions.join(','), '--location', 'eastus2', '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /dry run: nothing was created or changed/);
    assert.match(run.stdout, /openai1-\w+ \(eastus\), S0/);
    assert.match(run.stdout, /chat: gpt-5\.4-mini 2026-03-17, Standard, 30K TPM/);
    assert.match(run.stdout, /Quota preflight passed/);
    assert.deepEqual(writes(world, 0), []);
    assert.equal(existsSync(join(world.projectDir, '.azure')), false, 'a dry run writes no environment');
  });

  it('creates the topology, records it in the azd environment and prints CONTAINER_APP_URL (--json)', async () => {
    const run = await world.up(['--env', 'demo', '--regions', regions.join(','), '--location', 'eastus2', '--json', '--show-key']);
    assert.equal(run.code, 0, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    result = JSON.parse(run.stdout);
    assert.match(result.containerAppUrl, /^https:\/\/ca-lb-[a-z0-9]+\.[a-z]+-[0-9a-f]{8}\.eastus2\.azurecontainerapps\.io$/);
    assert.equal(result.changed, true);
    assert.ok(result.clientKey.length >= 32);

    const options = sdkOptions(world.twin);
    const resources = new ResourceManagementClient(staticCredential, world.twin.subscriptionId, options);
    const group = await resources.resourceGroups.get('demo-rg');
    assert.equal(group.tags?.['aoai-lb-env'], 'demo');

    const cs = new CognitiveServicesManagementClient(staticCredential, world.twin.subscriptionId, options);
    const accounts = [];
    for await (const account of cs.accounts.listByResourceGroup('demo-rg')) accounts.push(account);
    assert.deepEqual(accounts.map((a) => a.location).sort(), [...regions].sort());
    const authz = new AuthorizationManagementClient(staticCredential, world.twin.subscriptionId, options);
    const aca = new ContainerAppsAPIClient(staticCredential, world.twin.subscriptionId, options);
    const apps = [];
    for await (const app of aca.containerApps.listByResourceGroup('demo-rg')) apps.push(app);
    assert.equal(apps.length, 1);
    const app = apps[0]!;
    const principalId = Object.values(app.identity?.userAssignedIdentities ?? {})[0]?.principalId;
    assert.ok(principalId, 'the app runs as a user-assigned identity');
    for (const account of accounts) {
      assert.equal(account.kind, 'OpenAI');
      assert.equal(account.sku?.name, 'S0');
      assert.equal(account.properties?.disableLocalAuth, true);
      assert.equal(account.properties?.customSubDomainName, account.name);
      const deployments = [];
      for await (const d of cs.deployments.list('demo-rg', account.name!)) deployments.push(d);
      assert.deepEqual(deployments.map((d) => `${d.name} ${d.properties?.model?.name} ${d.sku?.name} ${d.sku?.capacity}`).sort(), [
        'chat gpt-5.4-mini Standard 30',
        'embedding text-embedding-3-large Standard 30',
      ]);
      assert.ok(world.twin.auth.hasRole(principalId, ROLES.cognitiveServicesOpenAIUser, account.id!), `OpenAI User on ${account.name}`);
    }
    const acr = new ContainerRegistryManagementClient(staticCredential, world.twin.subscriptionId, options);
    const registries = [];
    for await (const r of acr.registries.listByResourceGroup('demo-rg')) registries.push(r);
    assert.equal(registries.length, 1);
    assert.equal(registries[0]!.sku.name, 'Basic');
    assert.equal(registries[0]!.adminUserEnabled, false);
    assert.ok(world.twin.auth.hasRole(principalId, ROLES.acrPull, registries[0]!.id!), 'AcrPull on the registry');
    const assignments = [];
    for await (const a of authz.roleAssignments.listForScope(`/subscriptions/${world.twin.subscriptionId}/resourceGroups/demo-rg`, {
      filter: `principalId eq '${principalId}'`,
    }))
      assignments.push(a);
    assert.equal(assignments.length, 4, 'one OpenAI User per account and one AcrPull');

    assert.equal(app.configuration?.ingress?.external, true);
    assert.equal(app.configuration?.ingress?.targetPort, 8080);
    assert.deepEqual(
      app.configuration?.secrets?.map((s) => s.name),
      ['client-api-keys'],
    );
    assert.equal(app.template?.scale?.minReplicas, 1);
    assert.equal(app.template?.scale?.maxReplicas, 10);
    assert.ok(app.template?.scale?.rules?.[0]?.http, 'an HTTP concurrency scale rule');
    const container = app.template!.containers![0]!;
    assert.match(container.image!, new RegExp(`^${registries[0]!.loginServer}/aoai-lb-balancer:[0-9a-f]{12}$`));
    assert.deepEqual(container.probes?.map((p) => `${p.type} ${p.httpGet?.path}`).sort(), ['Liveness /healthz', 'Readiness /healthz']);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? `secretRef:${e.secretRef}`]));
    assert.equal(env.CLIENT_API_KEYS, 'secretRef:client-api-keys');
    for (const [i, account] of accounts.sort((a, b) => a.name!.localeCompare(b.name!)).entries()) {
      assert.equal(env[`BACKEND_${i + 1}_URL`], account.properties?.endpoint);
      assert.equal(env[`BACKEND_${i + 1}_PRIORITY`], '1');
    }

    const values = await runCli(['env', 'get-values', '--cwd', world.projectDir], world.env);
    assert.equal(values.code, 0, values.stderr);
    assert.match(values.stdout, new RegExp(`^CONTAINER_APP_URL="${result.containerAppUrl}"$`, 'm'));
    assert.match(values.stdout, /^AZURE_RESOURCE_GROUP="demo-rg"$/m);
    assert.match(values.stdout, new RegExp(`^AZURE_SUBSCRIPTION_ID="${world.twin.subscriptionId}"$`, 'm'));
    assert.match(values.stdout, /^AZURE_LOCATION="eastus2"$/m);
    assert.match(values.stdout, /^OPENAI_CAPACITY=30$/m);
    assert.match(values.stdout, /^OPENAI_REGIONS="eastus,swedencentral,westus3"$/m);
    assert.doesNotMatch(values.stdout, new RegExp(result.clientKey), 'the client key is not in the environment');
  });

  it('serves a chat completion with the client key through the printed URL, and logs "Proxying to"', async () => {
    const dispatcher = twinProxy(world);
    try {
      const client = new AzureOpenAI({
        endpoint: result.containerAppUrl,
        apiKey: result.clientKey,
        apiVersion: '2024-10-21',
        deployment: 'chat',
        maxRetries: 0,
        fetch: fetchVia(dispatcher),
      });
      const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }] });
      assert.ok(completion.choices[0]?.message.content, 'an answer');
      const appName = new URL(result.containerAppUrl).hostname.split('.')[0]!;
      // The balancer's logger writes in batches: wait for the line rather than expect it at once.
      await waitFor('a "Proxying to" line in the app\'s output', () =>
        world.twin.apps!.output(appName).find((line) => /Proxying to https:\/\/127\.0\.0\.1:\d+\/openai\d-/.test(line)),
      );
      const refused = await undiciFetch(`${result.containerAppUrl}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'api-key': 'wrong', 'content-type': 'application/json' },
        body: '{}',
        dispatcher,
      });
      assert.equal(refused.status, 401, 'a wrong client key is refused');
      await refused.arrayBuffer();
    } finally {
      await dispatcher.close();
    }
  });

  it('a second up changes nothing', async () => {
    const before = world.twin.requests.length;
    const run = await world.up(['--json']);
    assert.equal(run.code, 0, run.stderr);
    const again = JSON.parse(run.stdout);
    assert.equal(again.changed, false);
    assert.equal(again.containerAppUrl, result.containerAppUrl);
    assert.ok(
      again.steps.every((s: { outcome: string }) => s.outcome === 'unchanged' || s.outcome === 'verified'),
      JSON.stringify(again.steps),
    );
    assert.deepEqual(writes(world, before), [], 'no write request reached ARM');
  });

  it('env set OPENAI_CAPACITY 50, then up, changes every deployment in place and nothing else', async () => {
    const set = await runCli(['env', 'set', 'OPENAI_CAPACITY', '50', '--cwd', world.projectDir], world.env);
    assert.equal(set.code, 0, set.stderr);
    const before = world.twin.requests.length;
    const run = await world.up([]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /chat 50K, embedding 50K/);
    const changed = writes(world, before);
    assert.equal(changed.length, 6, JSON.stringify(changed));
    assert.ok(
      changed.every((r) => r.method === 'PATCH' && /\/deployments\//.test(r.path)),
      JSON.stringify(changed),
    );
  });
});
