// SHARED_STATE_AUTH=entra over token lifetimes: two balancer processes (the image's entry point, one worker
// each) sign in to the twin's Azure Managed Redis with their managed identity, whose tokens for
// https://redis.azure.com live 4 seconds here. The twin's front closes a connection whose token expires
// without a fresh AUTH, as Azure may; the balancer re-AUTHs its open connections with each new token, so
// after several lifetimes both replicas still share: no connection was closed for an expired token, neither
// logged the store as unreachable, and a cooldown replica A learns then reaches replica B by publish (B's
// refresh is 10 s away), over a subscriber connection that has outlived its first token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import type { BalancerStatus } from '../../templates/balancer/src/status.js';
import { startTwin, type Twin } from '../twin/index.js';
import { ReadyProcess } from '../twin/dataplane/ready-process.js';
import { fastPoll, sdkOptions, staticCredential } from '../twin/sdk.js';
import { waitFor } from '../helpers/wait.js';

const main = fileURLToPath(new URL('../../templates/balancer/dist/main.js', import.meta.url));
const API = '2025-07-01';
const RG = 'rg-renewal';
const lifetimeMs = 4000;
const clientKey = 'renewal-client-key';
const simulatorKey = 'renewal-simulator-key';
const degraded = /Shared state: the store is unreachable or too slow/;

interface Replica {
  name: string;
  url: string;
  process: ReadyProcess;
  log: () => string;
}

describe('shared state with Entra ID: the balancer renews its store sign-in before tokens expire', { timeout: 60_000 }, () => {
  let twin: Twin;
  let simulator: Simulator;
  const replicas: Replica[] = [];
  let identity: { clientId: string; principalId: string };
  let storeUrl: string;

  before(async () => {
    twin = await startTwin({ dataPlane: { tokenLifetimeMs: lifetimeMs } });
    simulator = await startSimulator({ apiKeys: [simulatorKey], latency: 'none' });
    const arm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const msi = new ManagedServiceIdentityClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await arm.resourceGroups.createOrUpdate(RG, { location: 'westus3' });
    const created = await msi.userAssignedIdentities.createOrUpdate(RG, 'id-balancer', { location: 'westus3' });
    identity = { clientId: created.clientId!, principalId: created.principalId! };
    const cluster = `/subscriptions/${twin.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Cache/redisEnterprise/amr-renewal`;
    await arm.resources.beginCreateOrUpdateByIdAndWait(
      cluster,
      API,
      { location: 'westus3', sku: { name: 'Balanced_B0' }, properties: { highAvailability: 'Disabled', publicNetworkAccess: 'Enabled' } },
      fastPoll,
    );
    const database = await arm.resources.beginCreateOrUpdateByIdAndWait(
      `${cluster}/databases/default`,
      API,
      { properties: { clientProtocol: 'Encrypted', port: 10000, clusteringPolicy: 'NoCluster', evictionPolicy: 'NoEviction' } },
      fastPoll,
    );
    await arm.resources.beginCreateOrUpdateByIdAndWait(
      `${cluster}/databases/default/accessPolicyAssignments/balancer`,
      API,
      { properties: { accessPolicyName: 'default', user: { objectId: identity.principalId } } },
      fastPoll,
    );
    storeUrl = `rediss://127.0.0.1:${(database.properties as { port: number }).port}`;

    // As `up --shared-state` configures the container app, with the identity's endpoint as Container Apps gives it.
    const started = ['a', 'b'].map((name) => {
      const { process: balancer, ready } = ReadyProcess.start({
        name: `balancer ${name}`,
        command: process.execPath,
        args: [main],
        env: {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: '0',
          WORKERS: '1',
          CLIENT_API_KEYS: clientKey,
          BACKEND_1_URL: simulator.url,
          BACKEND_1_APIKEY: simulatorKey,
          SHARED_STATE_URL: storeUrl,
          SHARED_STATE_AUTH: 'entra',
          SHARED_STATE_USERNAME: identity.principalId,
          SHARED_STATE_REFRESH_MS: '10000',
          AZURE_CLIENT_ID: identity.clientId,
          NODE_EXTRA_CA_CERTS: twin.caPath,
          ...twin.identityEndpointFor(identity.clientId),
        },
        ready: /aoai-lb balancer listening on (http:\/\/[\d.]+:\d+)/,
        timeoutMs: 20_000,
      });
      let log = '';
      balancer.child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      balancer.child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const replica: Replica = { name, url: '', process: balancer, log: () => log };
      replicas.push(replica);
      return ready.then((match) => (replica.url = match[1]!));
    });
    await Promise.all(started);
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.process.stop(5000)));
    await simulator?.close();
    await twin?.close();
  });

  const status = async (replica: Replica): Promise<BalancerStatus> =>
    (await (await fetch(`${replica.url}/status`, { headers: { 'api-key': clientKey } })).json()) as BalancerStatus;
  const chat = async (replica: Replica): Promise<number> => {
    const response = await fetch(`${replica.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
    });
    await response.arrayBuffer();
    return response.status;
  };
  const cooldownMs = async (replica: Replica): Promise<number> =>
    (await status(replica)).backends[0]?.deployments.find((d) => d.deployment === 'chat')?.cooldownRemainingMs ?? 0;

  it('keeps sharing past several token lifetimes: a cooldown learned after the first token expired reaches the other replica', async (t) => {
    const [a, b] = replicas as [Replica, Replica];
    const t0 = Date.now();
    for (const replica of replicas) {
      await waitFor(`replica ${replica.name} to share state`, async () => {
        const shared = (await status(replica)).sharedState;
        return shared?.mode === 'shared';
      });
    }
    // Both know the chat deployment (only deployments a backend has served are shared).
    assert.equal(await chat(a), 200);
    assert.equal(await chat(b), 200);

    // Three token lifetimes from now, watching all along: every replica stays shared.
    const front = twin.redisPlanes!.plane('amr-renewal')!.front;
    const until = Date.now() + 3 * lifetimeMs;
    const issued = twin.dataPlane!.tokens.list().filter((token) => token.principalId === identity.principalId && token.resource === 'https://redis.azure.com');
    const firstExpiry = Math.min(...issued.map((token) => token.expiresAt));
    await waitFor(
      'three token lifetimes to pass with both replicas shared',
      async () => {
        for (const replica of replicas) assert.equal((await status(replica)).sharedState?.mode, 'shared', `replica ${replica.name} stays shared`);
        return Date.now() >= until;
      },
      until - Date.now() + 10_000,
    );
    assert.ok(Date.now() > firstExpiry + 2 * lifetimeMs, 'the first tokens expired two lifetimes ago and more');
    assert.deepEqual(front.expired, [], 'no connection was closed for an expired token');
    const reAuths = front.auths.filter((auth) => auth.ok && auth.username === identity.principalId).length;
    assert.ok(reAuths >= 4 * 3, `each of the 4 connections signed in again with new tokens (${reAuths} accepted AUTHs)`);
    t.diagnostic(`${reAuths} AUTHs accepted over ${Date.now() - t0} ms`);

    // Replica A learns a 60-second cooldown; replica B hears it by publish (its refresh runs every 10 s only).
    simulator.addFault({ kind: '429', count: 1, retryAfterMs: 60_000 });
    assert.equal(await chat(a), 429);
    // Sooner than the 10-s refresh; the margin is for a loaded machine.
    await waitFor('replica B to know the cooldown', async () => (await cooldownMs(b)) > 30_000, 8000);
    for (const replica of replicas) {
      assert.equal((await status(replica)).sharedState?.mode, 'shared');
      assert.doesNotMatch(replica.log(), degraded, `replica ${replica.name} never lost the store`);
    }
    assert.deepEqual(front.expired, []);
  });
});
