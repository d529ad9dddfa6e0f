// `up --shared-state` on the Azure twin (issue 12): the plan shows the store; a real run creates the Azure
// Managed Redis cluster, its default database and the balancer identity's access policy assignment, and gives
// the container app SHARED_STATE_URL/AUTH/USERNAME, with which the identity's own token gets into the twin's
// redis-server; a re-run changes nothing; `status` shows the store; `down` deletes it with the group and
// the redis-server stops. `--no-shared-state` turns it off again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { createClient } from '@redis/client';
import { parseDotenv } from '../../src/env/dotenv.js';
import { renderStatus } from '../../src/ui/status-view.js';
import type { StatusSnapshot } from '../../src/ops/status/snapshot.js';
import { runCli, startCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';
import { sdkOptions, staticCredential } from '../twin/sdk.js';

const REGIONS = ['--regions', 'eastus,westus3'];

describe('up --shared-state', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  before(async () => {
    world = await startUpWorld();
  });
  after(async () => world?.close());
  const cli = (args: string[]) => runCli([...args, '--cwd', world.projectDir], world.env);
  const values = async (env: string) => parseDotenv((await cli(['env', 'get-values', '--env', env])).stdout);

  it('--dry-run plans the store in the balancer region and changes nothing', async () => {
    const run = await world.up(['--env', 'plan', ...REGIONS, '--location', 'westus3', '--shared-state', '--dry-run', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const { plan } = JSON.parse(run.stdout) as {
      plan: { sharedState: Record<string, unknown>; resourceToken: string; steps: Array<{ id: string; dependsOn: string[] }> };
    };
    assert.deepEqual(plan.sharedState, {
      name: `redis-${plan.resourceToken}`,
      location: 'westus3',
      sku: 'Balanced_B0',
      highAvailability: 'Disabled',
      clusteringPolicy: 'NoCluster',
      evictionPolicy: 'NoEviction',
      port: 10000,
      accessAssignment: 'balancer',
    });
    assert.ok(plan.steps.find((s) => s.id === 'app')!.dependsOn.includes('store.access'));
    const text = await world.up(['--env', 'plan', ...REGIONS, '--shared-state', '--dry-run']);
    assert.match(
      text.stdout,
      /^ {2}shared state {10}redis-\w+ \(Azure Managed Redis Balanced_B0, eastus, high availability off\), database default: TLS port 10000/m,
    );
    assert.equal(world.twin.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').length, 0, 'a dry run writes nothing');
    assert.equal(world.twin.redis.clusters.size, 0);
  });

  it('provisions the store, gives the app its URL and identity, lets that identity in, and a re-run changes nothing', async () => {
    const run = await world.up(['--env', 'shared', ...REGIONS, '--shared-state', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { sharedState: { name: string; url: string }; changed: boolean };
    const env = await values('shared');
    assert.equal(env.BALANCER_SHARED_STATE, 'true');
    assert.equal(env.AZURE_MANAGED_REDIS_NAME, result.sharedState.name);
    const plane = world.twin.redisPlanes!.plane(result.sharedState.name)!;
    assert.equal(env.AZURE_MANAGED_REDIS_URL, `rediss://127.0.0.1:${plane.front.port}`);
    assert.equal(result.sharedState.url, env.AZURE_MANAGED_REDIS_URL);

    const cluster = [...world.twin.redis.clusters.values()][0]!;
    assert.deepEqual(
      [cluster.name, cluster.location, cluster.sku.name, cluster.provisioningState],
      [result.sharedState.name, 'eastus', 'Balanced_B0', 'Succeeded'],
    );
    const database = cluster.databases.get('default')!;
    assert.deepEqual([database.accessKeysAuthentication, database.clientProtocol, database.clusteringPolicy], ['Disabled', 'Encrypted', 'NoCluster']);
    const identity = [...world.twin.auth.identities.values()].find((i) => i.clientId === env.AZURE_MANAGED_IDENTITY_CLIENT_ID)!;
    assert.deepEqual(
      [...database.assignments.values()].map((a) => [a.name, a.accessPolicyName, a.objectId]),
      [['balancer', 'default', identity.principalId]],
    );

    const apps = new ContainerAppsAPIClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    const app = await apps.containerApps.get(env.AZURE_RESOURCE_GROUP!, env.CONTAINER_APP_NAME!);
    const appEnv = Object.fromEntries((app.template!.containers![0]!.env ?? []).map((e) => [e.name, e.value]));
    assert.deepEqual(
      [appEnv.SHARED_STATE_URL, appEnv.SHARED_STATE_AUTH, appEnv.SHARED_STATE_USERNAME, appEnv.AZURE_CLIENT_ID],
      [env.AZURE_MANAGED_REDIS_URL, 'entra', identity.principalId, identity.clientId],
    );

    // What the balancer does with them: its identity's token for https://redis.azure.com, its object id as the username.
    const msi = world.twin.identityEndpointFor(identity.clientId);
    const tokenRes = await fetch(`${msi.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://redis.azure.com&client_id=${identity.clientId}`, {
      headers: { 'X-IDENTITY-HEADER': msi.IDENTITY_HEADER },
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const redis = createClient({
      url: appEnv.SHARED_STATE_URL,
      username: appEnv.SHARED_STATE_USERNAME,
      password: token,
      socket: { tls: true, ca: world.twin.ca },
    });
    redis.on('error', () => undefined);
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
    redis.destroy();

    const writesBefore = world.twin.requests.filter((r) => r.method === 'PUT' || r.method === 'PATCH').length;
    const again = await world.up(['--env', 'shared', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { changed: boolean }).changed, false);
    assert.equal(world.twin.requests.filter((r) => r.method === 'PUT' || r.method === 'PATCH').length, writesBefore, 'a re-run writes nothing');
  });

  it('status shows the store, and the balancer’s sharedState once it has signed in to the store with its identity', async () => {
    // The deployed balancer takes its identity's token for https://redis.azure.com and signs in through the twin's front.
    const snapshot = await waitFor(
      'the balancer to report sharedState mode shared',
      async () => {
        const run = await cli(['status', '--env', 'shared', '--json']);
        assert.equal(run.code, 0, run.stderr);
        const s = JSON.parse(run.stdout) as StatusSnapshot;
        return s.balancer.reachable && s.balancer.sharedState?.mode === 'shared' ? s : undefined;
      },
      60_000,
    );
    const env = await values('shared');
    assert.deepEqual(snapshot.sharedState, {
      name: env.AZURE_MANAGED_REDIS_NAME,
      location: 'eastus',
      provisioningState: 'Succeeded',
      resourceState: 'Running',
      endpoint: env.AZURE_MANAGED_REDIS_URL,
    });
    const text = await cli(['status', '--env', 'shared']);
    assert.match(
      text.stdout,
      new RegExp(`^Shared state {2}${env.AZURE_MANAGED_REDIS_NAME} \\(eastus\\) {2}Succeeded, Running {2}rediss://127\\.0\\.0\\.1:\\d+$`, 'm'),
    );
    assert.match(text.stdout, /^ {2}shared state: shared \(store: rediss:\/\/127\.0\.0\.1:\d+, replica: /m);
    const plane = world.twin.redisPlanes!.plane(env.AZURE_MANAGED_REDIS_NAME!)!;
    const identity = [...world.twin.auth.identities.values()].find((i) => i.clientId === env.AZURE_MANAGED_IDENTITY_CLIENT_ID)!;
    assert.ok(
      plane.front.auths.some((a) => a.ok && a.username === identity.principalId),
      'the balancer signed in as its identity',
    );
    const { balancer } = snapshot;
    assert.ok(balancer.reachable);
    const degraded = renderStatus({ ...snapshot, balancer: { ...balancer, sharedState: { mode: 'degraded', error: 'ECONNREFUSED', nested: {} } } });
    assert.match(degraded, /^ {2}shared state: degraded \(error: ECONNREFUSED\)$/m);
    const off = renderStatus({ ...snapshot, balancer: { ...balancer, sharedState: undefined } });
    assert.doesNotMatch(off, /shared state:/);
  });

  it('down deletes the store with the group, lists it, and its redis-server stops', async () => {
    const env = await values('shared');
    const plane = world.twin.redisPlanes!.plane(env.AZURE_MANAGED_REDIS_NAME!)!;
    assert.ok(plane.server.running);
    const down = await cli(['down', '--env', 'shared', '--force', '--json']);
    assert.equal(down.code, 0, down.stderr);
    const result = JSON.parse(down.stdout) as { resources: Array<{ kind: string; name: string }>; clearedOutputs: string[] };
    assert.ok(result.resources.some((r) => r.kind === 'Azure Managed Redis' && r.name === env.AZURE_MANAGED_REDIS_NAME));
    assert.ok(result.clearedOutputs.includes('AZURE_MANAGED_REDIS_URL'));
    assert.equal(world.twin.redis.clusters.size, 0);
    await waitFor('the redis-server to stop', () => !plane.server.running);
    const after = await values('shared');
    assert.equal(after.BALANCER_SHARED_STATE, 'true', 'the setting stays for the next up');
    assert.equal(after.AZURE_MANAGED_REDIS_NAME, undefined);
  });

  it('--no-shared-state turns it off: the setting is dropped and the app loses SHARED_STATE_*', async () => {
    const on = await world.up(['--env', 'toggle', '--regions', 'westus3,eastus', '--shared-state']);
    assert.equal(on.code, 0, on.stderr);
    const off = await world.up(['--env', 'toggle', '--no-shared-state']);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /Azure Managed Redis redis-\w+ is kept \(and billed\)/);
    const env = await values('toggle');
    assert.equal(env.BALANCER_SHARED_STATE, undefined);
    assert.equal(env.AZURE_MANAGED_REDIS_URL, undefined);
    const apps = new ContainerAppsAPIClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    const app = await apps.containerApps.get(env.AZURE_RESOURCE_GROUP!, env.CONTAINER_APP_NAME!);
    assert.ok(!(app.template!.containers![0]!.env ?? []).some((e) => e.name?.startsWith('SHARED_STATE_')));
    assert.equal((await cli(['env', 'set', 'BALANCER_SHARED_STATE', 'maybe', '--env', 'toggle'])).code, 0);
    const bad = await world.up(['--env', 'toggle', '--dry-run']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /BALANCER_SHARED_STATE "maybe" is not true or false\./);
  });

  it('a run killed while the cluster, then the database, is being created resumes: one of each, then nothing to change', async () => {
    const args = ['up', '--cwd', world.projectDir, '--env', 'resume', '--regions', 'westus3,eastus', '--shared-state'];
    for (const [title, operationId] of [
      ['Azure Managed Redis \\(shared state\\)', 'RedisEnterprise_Create'],
      ['Redis database', 'Databases_Create'],
    ] as const) {
      // Held until the run is dead, so the kill lands while ARM is still creating it, however slow the machine.
      const hold = world.twin.latencies.hold(operationId);
      const from = world.twin.requests.length;
      const run = startCli(args, world.env);
      try {
        // Killed once ARM accepted the create and the step is waiting for it.
        await waitFor(
          `${operationId} in flight`,
          () => {
            if (run.child.exitCode !== null) assert.fail(`up exited (${run.child.exitCode}) before ${operationId}: ${run.stderr()}`);
            return (
              new RegExp(`^… ${title}`, 'm').test(run.stderr()) &&
              hold.held >= 1 &&
              world.twin.requests.slice(from).some((r) => r.operationId === operationId && r.status === 201)
            );
          },
          180_000,
        ).catch((error: Error) => assert.fail(`${error.message}\nstderr so far:\n${run.stderr()}`));
        assert.doesNotMatch(run.stderr(), new RegExp(`^[✓–✗] ${title}`, 'm'), 'the step is still waiting for ARM');
      } finally {
        await run.stop('SIGKILL');
        hold.release();
      }
    }
    const final = await world.up(['--env', 'resume', '--json']);
    assert.equal(final.code, 0, final.stderr);
    const again = await world.up(['--env', 'resume', '--json']);
    assert.equal((JSON.parse(again.stdout) as { changed: boolean }).changed, false, again.stderr);
    const group = (await values('resume')).AZURE_RESOURCE_GROUP!.toLowerCase();
    const clusters = [...world.twin.redis.clusters.values()].filter((c) => c.resourceGroup.toLowerCase() === group);
    assert.equal(clusters.length, 1);
    assert.equal(
      world.twin.requests.filter((r) => r.operationId === 'RedisEnterprise_Create' && r.path.toLowerCase().includes(`/${group}/`)).length,
      1,
      'the cluster was created once',
    );
    assert.deepEqual([...clusters[0]!.databases.keys()], ['default']);
    assert.equal(clusters[0]!.databases.get('default')!.assignments.size, 1);
  });
});
