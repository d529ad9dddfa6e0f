// Wires Microsoft.Cache/redisEnterprise (Azure Managed Redis) into the twin: its state, routes, and the
// resource-group delete that takes the clusters (and stops their data planes) with the group.
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { clusterRoutes } from './redis-clusters.js';
import { databaseRoutes } from './redis-databases.js';
import { RedisState } from './redis-state.js';

export type { AccessPolicyAssignment, RedisCluster, RedisDatabase } from './redis-state.js';
export { RedisState } from './redis-state.js';

export function createRedisProvider(ctx: TwinContext): { state: RedisState; routes: Route[] } {
  const state = new RedisState();
  ctx.events.on('resourceGroupDeleted', (group: { subscriptionId: string; name: string }) => void state.forgetGroup(group.subscriptionId, group.name));
  return { state, routes: [...clusterRoutes(ctx, state), ...databaseRoutes(ctx, state)] };
}
