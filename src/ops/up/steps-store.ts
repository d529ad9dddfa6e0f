/**
 * The replicas' shared state (`up --shared-state`): an Azure Managed Redis cluster in the balancer's region,
 * its `default` database (TLS, Entra ID only) and the access policy assignment that lets the balancer's
 * managed identity in. Each reads before it writes; a cluster or database still being created by an
 * interrupted run is waited for (minutes on Azure), then treated as found.
 */
import { getAccessAssignment, getRedisCluster, getRedisDatabase, putAccessAssignment, putRedisCluster, putRedisDatabase } from '../../azure/redis.js';
import type { StepOutcome } from '../graph.js';
import { settled, succeeded, type UpContext } from './context.js';

export async function ensureStore(up: UpContext): Promise<StepOutcome> {
  const store = up.plan.sharedState!;
  const group = up.plan.resourceGroup.name;
  const current = await settled(() => getRedisCluster(up.arm, group, store.name), up.timings.settlePollMs);
  if (succeeded(current) && current!.sku === store.sku) {
    up.found.store = current;
    return 'unchanged';
  }
  up.found.store = await putRedisCluster(up.arm, group, store.name, {
    location: store.location,
    tags: up.plan.tags,
    sku: store.sku,
    highAvailability: store.highAvailability,
  });
  return current ? 'updated' : 'created';
}

export async function ensureStoreDatabase(up: UpContext): Promise<StepOutcome> {
  const store = up.plan.sharedState!;
  const group = up.plan.resourceGroup.name;
  const current = await settled(() => getRedisDatabase(up.arm, group, store.name), up.timings.settlePollMs);
  const right =
    succeeded(current) &&
    current!.clientProtocol === 'Encrypted' &&
    current!.clusteringPolicy === store.clusteringPolicy &&
    current!.evictionPolicy === store.evictionPolicy &&
    current!.accessKeysAuthentication === 'Disabled';
  if (right) {
    up.found.storeDatabase = current;
    return 'unchanged';
  }
  up.found.storeDatabase = await putRedisDatabase(up.arm, group, store.name, {
    clusteringPolicy: store.clusteringPolicy,
    evictionPolicy: store.evictionPolicy,
  });
  return current ? 'updated' : 'created';
}

export async function ensureStoreAccess(up: UpContext): Promise<StepOutcome> {
  const store = up.plan.sharedState!;
  const group = up.plan.resourceGroup.name;
  const principalId = up.found.identity!.principalId;
  const current = await getAccessAssignment(up.arm, group, store.name, store.accessAssignment);
  if (succeeded(current) && current!.accessPolicyName === 'default' && current!.objectId?.toLowerCase() === principalId.toLowerCase()) return 'unchanged';
  await putAccessAssignment(up.arm, group, store.name, store.accessAssignment, principalId);
  return current ? 'updated' : 'created';
}
