// `up --shared-state` on the Azure twin with two replicas (the app scaled to minReplicas 2, as Container Apps
// does under load): both balancer processes sign in to the twin's Azure Managed Redis with their managed
// identity, see each other, and a cooldown one replica learns from Azure OpenAI's 429s keeps the other from
// sending into that deployment at all: it answers 429 itself and no simulator sees the request. One worker
// per replica (WORKERS=1), so each replica's /status is the state of the process that serves it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { parseDotenv } from '../../src/env/dotenv.js';
import { runCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';
import { fastPoll, sdkOptions, staticCredential } from '../twin/sdk.js';
import type { ContainerProcess } from '../twin/index.js';

interface ReplicaStatus {
  sharedState?: { mode: string; peers: number; replica: string };
  backends: Array<{ deployments: Array<{ deployment: string; cooldownRemainingMs: number }> }>;
}

describe('up --shared-state: two replicas share cooldowns through the store', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  before(async () => {
    world = await startUpWorld();
  });
  after(async () => world?.close());

  it('a 429 cooldown learned by one replica stops the other from sending there', async () => {
    const up = await world.up(['--env', 'replicas', '--regions', 'eastus,westus3', '--shared-state', '--show-key', '--json']);
    assert.equal(up.code, 0, up.stderr);
    const { clientKey, accounts } = JSON.parse(up.stdout) as { clientKey: string; accounts: Array<{ name: string }> };
    const env = parseDotenv((await runCli(['env', 'get-values', '--env', 'replicas', '--cwd', world.projectDir], world.env)).stdout);
    const group = env.AZURE_RESOURCE_GROUP!;
    const appName = env.CONTAINER_APP_NAME!;

    const apps = new ContainerAppsAPIClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    const app = await apps.containerApps.get(group, appName);
    const updated = await apps.containerApps.beginUpdateAndWait(
      group,
      appName,
      {
        location: app.location,
        template: {
          ...app.template,
          // One worker per replica, so that a replica's GET /status is the process that served the request.
          containers: app.template!.containers!.map((c) => ({ ...c, env: [...(c.env ?? []), { name: 'WORKERS', value: '1' }] })),
          scale: { ...app.template!.scale, minReplicas: 2 },
        },
      },
      fastPoll,
    );
    const revision = updated.latestRevisionName!;
    const replicas = await waitFor(
      'two ready replicas of the new revision',
      () => {
        const ready = world.twin.apps!.running(appName).filter((p) => p.revision === revision && p.status.ready);
        return ready.length === 2 ? ready : undefined;
      },
      60_000,
    );

    const ask = async (replica: ContainerProcess, path: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${replica.port}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'api-key': clientKey, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    const status = async (replica: ContainerProcess) => (await ask(replica, '/status')).body as ReplicaStatus;
    for (const replica of replicas) {
      await waitFor(
        `${replica.replica} to share state with one peer`,
        async () => {
          const s = (await status(replica)).sharedState;
          return s?.mode === 'shared' && s.peers === 1;
        },
        30_000,
      );
    }

    const chat = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };
    const path = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
    const [first, second] = replicas as [ContainerProcess, ContainerProcess];
    // The second replica has served the chat deployment from every backend (it prefers the one with the most quota left).
    await waitFor(
      `${second.replica} to have served chat from every backend`,
      async () => {
        assert.equal((await ask(second, path, chat)).status, 200);
        const known = (await status(second)).backends.filter((b) => b.deployments.some((d) => d.deployment === 'chat'));
        return known.length === accounts.length;
      },
      30_000,
    );

    const simulators = accounts.map((a) => world.twin.dataPlane!.planes.get(a.name.toLowerCase())!.sim.url);
    const chatRequests = async () =>
      Promise.all(
        simulators.map(async (url) => {
          const stats = (await (await fetch(`${url}/__sim/stats`)).json()) as { deployments: Array<{ name: string; requests: number }> };
          return stats.deployments.find((d) => d.name === 'chat')?.requests ?? 0;
        }),
      );
    for (const url of simulators) {
      const res = await fetch(`${url}/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: '429', count: 1, deployment: 'chat', retryAfterMs: 60_000 }),
      });
      assert.equal(res.status, 201);
    }
    const throttled = await ask(first, path, chat);
    assert.equal(throttled.status, 429, JSON.stringify(throttled.body));

    // The other replica heard both cooldowns (published at once) without sending anything itself.
    await waitFor(
      `${second.replica} to know both backends' chat deployment is cooling`,
      async () => {
        const cooling = (await status(second)).backends.filter((b) => b.deployments.some((d) => d.deployment === 'chat' && d.cooldownRemainingMs > 30_000));
        return cooling.length === simulators.length;
      },
      5_000,
    );
    const before = await chatRequests();
    const refused = await ask(second, path, chat);
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.deepEqual(await chatRequests(), before, 'the second replica sent nothing into the deployments the first saw throttled');
  });
});
