// Microsoft.Cache/redisEnterprise clusters (Azure Managed Redis), api 2025-07-01: create/update (201 Creating
// or 200 Updating + Azure-AsyncOperation → Succeeded, final GET on the original URI as the spec says), get,
// list, delete (202 + Azure-AsyncOperation + Location, 204 when missing) and the provider's operation status
// (…/locations/{l}/operationsStatus/{id}, OperationsStatusGet.json). Shapes from RedisEnterpriseCreate.json.
import { ArmError, isObject, key, normalizeLocation, ok, providerId, requireBody, resourceNotFound, type ArmRequest, type ArmResponse } from '../arm.js';
import type { TwinContext } from '../context.js';
import { newOperationId, type Operation } from '../lro.js';
import type { Route } from '../router.js';
import type { RedisCluster, RedisState } from './redis-state.js';

export const CACHE = 'Microsoft.Cache';
export const REDIS_API_VERSIONS = ['2025-07-01'];
export const CLUSTER_PATH = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${CACHE}/redisEnterprise/{clusterName}`;
/** ClusterNameParameter / DatabaseNameParameter in the spec. */
export const NAME = /^(?=.{1,60}$)[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
const SKU_FAMILIES: Record<string, number[]> = {
  Enterprise_E: [1, 5, 10, 20, 50, 100, 200, 400],
  EnterpriseFlash_F: [300, 700, 1500],
  Balanced_B: [0, 1, 3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700, 1000],
  MemoryOptimized_M: [10, 20, 50, 100, 150, 250, 350, 500, 700, 1000, 1500, 2000],
  ComputeOptimized_X: [3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700],
  FlashOptimized_A: [250, 500, 700, 1000, 1500, 2000, 4500],
};
export const REDIS_SKUS: string[] = Object.entries(SKU_FAMILIES).flatMap(([family, sizes]) => sizes.map((s) => `${family}${s}`));

export const clusterId = (c: RedisCluster): string => providerId(c.subscriptionId, c.resourceGroup, CACHE, 'redisEnterprise', c.name);

export function clusterView(state: RedisState, c: RedisCluster): Record<string, unknown> {
  return {
    name: c.name,
    type: `${CACHE}/redisEnterprise`,
    id: clusterId(c),
    location: c.location,
    kind: c.sku.name.startsWith('Enterprise') ? 'v1' : 'v2',
    sku: { ...c.sku },
    ...(c.zones ? { zones: c.zones } : {}),
    ...(c.identity ? { identity: c.identity } : {}),
    properties: {
      provisioningState: c.provisioningState,
      resourceState: c.resourceState,
      hostName: state.hostName(c),
      redisVersion: '7.4',
      highAvailability: c.highAvailability,
      redundancyMode: c.highAvailability === 'Disabled' ? 'None' : c.zones?.length ? 'ZR' : 'LR',
      minimumTlsVersion: c.minimumTlsVersion,
      publicNetworkAccess: c.publicNetworkAccess,
      privateEndpointConnections: [],
    },
    tags: c.tags ?? {},
  };
}

export const clusterParams = (req: ArmRequest): { sub: string; rg: string; name: string } => ({
  sub: req.params.subscriptionId!,
  rg: req.params.resourceGroupName!,
  name: req.params.clusterName!,
});

export function requireCluster(ctx: TwinContext, state: RedisState, req: ArmRequest): RedisCluster {
  const { sub, rg, name } = clusterParams(req);
  ctx.state.requireGroup(sub, rg);
  const cluster = state.cluster(sub, rg, name);
  if (!cluster) throw resourceNotFound(`${CACHE}/redisEnterprise/${name}`, rg);
  return cluster;
}

/** The Cache provider's answer while a cluster (or one of its databases) is being changed. Wording inferred (field reports). */
export function busy(name: string): ArmError {
  return new ArmError(
    409,
    'Conflict',
    `The resource '${name}' is busy processing a previous update request or is undergoing system maintenance. As such, it is currently unable to accept the update request. Please try again later.`,
  );
}

export function badRequest(message: string): ArmError {
  return new ArmError(400, 'BadRequest', message);
}

/** Starts an operation whose status lives at the provider's operationsStatus (and operationResults for Location). */
export function startOperation(
  ctx: TwinContext,
  req: ArmRequest,
  c: RedisCluster,
  operationId: string,
  complete: () => void,
  fail: () => void,
): { op: Operation; headers: (withLocation: boolean) => Record<string, string> } {
  const id = newOperationId();
  const base = `/subscriptions/${c.subscriptionId}/providers/${CACHE}/locations/${normalizeLocation(c.location)}`;
  const op = ctx.ops.start({ operationId, path: `${base}/operationsStatus/${id}`, pollApiVersion: req.apiVersion, complete, fail });
  const headers = (withLocation: boolean): Record<string, string> => ({
    'Azure-AsyncOperation': ctx.ops.url(req, op),
    ...(withLocation ? { Location: `${req.baseUrl}${base}/operationResults/${id}?api-version=${req.apiVersion}` } : {}),
    ...ctx.ops.retryAfter(),
  });
  return { op, headers };
}

export const settling = (state: string): boolean => !/^(Succeeded|Failed|Canceled)$/.test(state);

export function clusterRoutes(ctx: TwinContext, state: RedisState): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    operationId,
    apiVersions: REDIS_API_VERSIONS,
    handler,
  });

  const create = (req: ArmRequest): ArmResponse => {
    const { sub, rg, name } = clusterParams(req);
    const group = ctx.state.requireGroup(sub, rg);
    if (!NAME.test(name)) {
      throw new ArmError(
        400,
        'InvalidResourceName',
        `The name '${name}' is invalid. Name must be 1-60 characters long. Allowed characters(A-Z, a-z, 0-9) and hyphen(-). There can be no leading nor trailing nor consecutive hyphens`,
      );
    }
    const body = requireBody(req);
    if (typeof body.location !== 'string' || !body.location)
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const sku = isObject(body.sku) && typeof body.sku.name === 'string' ? body.sku.name : '';
    if (!REDIS_SKUS.includes(sku)) throw badRequest(`The SKU '${sku}' is not valid. Valid SKUs are: ${REDIS_SKUS.join(', ')}.`);
    const props = isObject(body.properties) ? body.properties : {};
    if (props.publicNetworkAccess !== 'Enabled' && props.publicNetworkAccess !== 'Disabled') {
      throw badRequest("The property 'publicNetworkAccess' is required and must be 'Enabled' or 'Disabled'.");
    }
    const tls = props.minimumTlsVersion ?? '1.2';
    if (tls !== '1.2') throw badRequest(`The minimum TLS version '${String(tls)}' is not supported. TLS 1.0 and 1.1 are obsolete; use '1.2'.`);
    const existing = state.cluster(sub, rg, name);
    if (existing && settling(existing.provisioningState)) throw busy(existing.name);
    if (existing && existing.location.toLowerCase().replace(/\s/g, '') !== body.location.toLowerCase().replace(/\s/g, '')) {
      throw badRequest(`The location of an existing cluster cannot be changed from '${existing.location}' to '${body.location}'.`);
    }
    const capacity = isObject(body.sku) && typeof body.sku.capacity === 'number' ? body.sku.capacity : undefined;
    const cluster: RedisCluster = existing ?? {
      subscriptionId: ctx.state.requireSubscription(sub).subscriptionId,
      resourceGroup: group.name,
      name,
      location: body.location,
      sku: { name: sku },
      provisioningState: 'Creating',
      resourceState: 'Creating',
      highAvailability: 'Enabled',
      minimumTlsVersion: '1.2',
      publicNetworkAccess: 'Enabled',
      databases: new Map(),
    };
    cluster.sku = capacity === undefined ? { name: sku } : { name: sku, capacity };
    cluster.highAvailability = props.highAvailability === 'Disabled' ? 'Disabled' : 'Enabled';
    cluster.publicNetworkAccess = props.publicNetworkAccess;
    if (Array.isArray(body.zones)) cluster.zones = body.zones.map(String);
    if (isObject(body.tags)) cluster.tags = body.tags as Record<string, string>;
    if (isObject(body.identity)) cluster.identity = body.identity;
    if (existing) {
      cluster.provisioningState = 'Updating';
      cluster.resourceState = 'Updating';
    } else {
      state.clusters.set(key(sub, rg, name), cluster);
    }
    const { headers } = startOperation(
      ctx,
      req,
      cluster,
      'RedisEnterprise_Create',
      () => {
        cluster.provisioningState = 'Succeeded';
        cluster.resourceState = 'Running';
      },
      () => {
        cluster.provisioningState = 'Failed';
        cluster.resourceState = existing ? 'UpdateFailed' : 'CreateFailed';
      },
    );
    return ok(clusterView(state, cluster), existing ? 200 : 201, headers(false));
  };

  const list = (req: ArmRequest, rg?: string) => {
    const sub = req.params.subscriptionId!;
    if (rg) ctx.state.requireGroup(sub, rg);
    else ctx.state.requireSubscription(sub);
    const value = [...state.clusters.values()].filter((c) =>
      rg ? key(c.subscriptionId, c.resourceGroup) === key(sub, rg) : key(c.subscriptionId) === key(sub),
    );
    return ok({ value: value.map((c) => clusterView(state, c)) });
  };

  return [
    route('PUT', CLUSTER_PATH, 'RedisEnterprise_Create', create),
    route('GET', CLUSTER_PATH, 'RedisEnterprise_Get', (req) => {
      const c = requireCluster(ctx, state, req);
      return ok(clusterView(state, c), 200, settling(c.provisioningState) ? ctx.ops.retryAfter() : {});
    }),
    route('DELETE', CLUSTER_PATH, 'RedisEnterprise_Delete', (req) => {
      const { sub, rg, name } = clusterParams(req);
      ctx.state.requireGroup(sub, rg);
      const cluster = state.cluster(sub, rg, name);
      if (!cluster) return { status: 204 };
      if (cluster.provisioningState === 'Creating' || cluster.provisioningState === 'Updating') throw busy(cluster.name);
      cluster.provisioningState = 'Deleting';
      cluster.resourceState = 'Deleting';
      const { headers } = startOperation(
        ctx,
        req,
        cluster,
        'RedisEnterprise_Delete',
        () => void state.remove(cluster),
        () => {
          cluster.provisioningState = 'Failed';
          cluster.resourceState = 'DeleteFailed';
        },
      );
      return { status: 202, headers: headers(true) };
    }),
    route(
      'GET',
      `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${CACHE}/redisEnterprise`,
      'RedisEnterprise_ListByResourceGroup',
      (req) => list(req, req.params.resourceGroupName),
    ),
    route('GET', `/subscriptions/{subscriptionId}/providers/${CACHE}/redisEnterprise`, 'RedisEnterprise_List', (req) => list(req)),
    route('GET', `/subscriptions/{subscriptionId}/providers/${CACHE}/locations/{location}/operationsStatus/{operationId}`, 'OperationsStatus_Get', (req) =>
      ctx.ops.asyncStatus(req.params.operationId!),
    ),
    route('GET', `/subscriptions/{subscriptionId}/providers/${CACHE}/locations/{location}/operationResults/{operationId}`, 'OperationsStatus_Results', (req) =>
      ctx.ops.locationStatus(req, req.params.operationId!),
    ),
  ];
}
