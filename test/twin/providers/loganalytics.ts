// Microsoft.OperationalInsights workspaces (@azure/arm-operationalinsights 9.0.0: workspaces 2022-10-01,
// sharedKeys 2020-08-01). Create answers 201/200 with `provisioningState: Creating` and no async header
// (WorkspacesCreate.json), so the SDK polls the workspace itself until Succeeded. Delete is 202 +
// Azure-AsyncOperation (…/locations/{l}/operationstatuses/{id}?api-version=2015-11-01-preview) + Location +
// Retry-After, as in the azd recording. Without `force` the workspace is soft-deleted and a PUT of the
// same name recovers it with its customerId and keys.
import { randomUUID } from 'node:crypto';
import { ArmError, etag, isObject, key, normalizeLocation, ok, requireBody, resourceNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import { newOperationId } from '../lro.js';
import type { Route } from '../router.js';
import { appState, newSharedKey, type Workspace } from './app-state.js';

export const OI = 'Microsoft.OperationalInsights';
export const WORKSPACE_API_VERSIONS = ['2025-07-01', '2025-02-01', '2023-09-01', '2022-10-01', '2021-12-01-preview', '2021-06-01', '2020-10-01', '2020-08-01'];
export const SHARED_KEYS_API_VERSIONS = ['2025-07-01', '2025-02-01', '2023-09-01', '2022-10-01', '2020-10-01', '2020-08-01', '2015-11-01-preview'];
/** The operationstatuses URLs carry this api-version (azd recording). */
export const OI_OPERATION_API_VERSION = '2015-11-01-preview';
const WS_PATH = `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/${OI}/workspaces/{workspaceName}`;

export const workspaceId = (w: Workspace): string =>
  `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/${OI}/workspaces/${w.name}`;

export function workspaceView(w: Workspace): Record<string, unknown> {
  const sku = isObject(w.properties.sku) ? w.properties.sku : { name: 'PerGB2018' };
  const nextHour = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3).toISOString().replace('.000', '');
  return {
    properties: {
      ...w.properties,
      customerId: w.customerId,
      provisioningState: w.provisioningState,
      sku: { ...sku, lastSkuUpdate: w.createdDate },
      retentionInDays: w.properties.retentionInDays ?? 30,
      features: {
        legacy: 0,
        searchVersion: 1,
        enableLogAccessUsingOnlyResourcePermissions: true,
        ...(isObject(w.properties.features) ? w.properties.features : {}),
      },
      workspaceCapping: { dailyQuotaGb: -1.0, quotaNextResetTime: nextHour, dataIngestionStatus: 'RespectQuota' },
      publicNetworkAccessForIngestion: w.properties.publicNetworkAccessForIngestion ?? 'Enabled',
      publicNetworkAccessForQuery: w.properties.publicNetworkAccessForQuery ?? 'Enabled',
      createdDate: w.createdDate,
      modifiedDate: w.modifiedDate,
    },
    location: w.location,
    ...(w.tags ? { tags: w.tags } : {}),
    id: workspaceId(w),
    name: w.name,
    type: `${OI}/workspaces`,
    etag: w.etag,
  };
}

const WS_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/;

export function logAnalyticsRoutes(ctx: TwinContext): Route[] {
  const store = appState(ctx);
  const { state } = ctx;
  const route = (
    method: string,
    pattern: string,
    operationId: string,
    handler: Route['handler'],
    apiVersions: readonly string[] = WORKSPACE_API_VERSIONS,
  ): Route => ({ method, pattern, operationId, apiVersions, handler });
  const params = (req: ArmRequest) => ({ sub: req.params.subscriptionId!, rg: req.params.resourceGroupName!, name: req.params.workspaceName! });
  const requireWorkspace = (req: ArmRequest): Workspace => {
    const { sub, rg, name } = params(req);
    state.requireGroup(sub, rg);
    const ws = store.workspace(sub, rg, name);
    if (!ws) throw resourceNotFound(`${OI}/workspaces/${name}`, rg);
    return ws;
  };
  const running = (w: Workspace) => (w.provisioningState === 'Succeeded' ? {} : ctx.ops.retryAfter());

  return [
    route('PUT', WS_PATH, 'Workspaces_CreateOrUpdate', (req) => {
      const { sub, rg, name } = params(req);
      const group = state.requireGroup(sub, rg);
      if (group.provisioningState === 'Deleting') {
        throw new ArmError(
          409,
          'ResourceGroupBeingDeleted',
          `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`,
        );
      }
      const body = requireBody(req);
      if (typeof body.location !== 'string' || !body.location)
        throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      if (!WS_NAME.test(name)) {
        throw new ArmError(
          400,
          'InvalidWorkspaceName',
          `The workspace name '${name}' is invalid. It must be 4-63 characters long, contain only letters, digits and '-', and start and end with a letter or digit.`,
        );
      }
      const props = isObject(body.properties) ? { ...body.properties } : {};
      for (const readOnly of ['customerId', 'provisioningState', 'createdDate', 'modifiedDate']) delete props[readOnly];
      const now = new Date().toISOString();
      const k = key(sub, rg, name);
      const existing = store.workspaces.get(k);
      const tags = isObject(body.tags) ? (body.tags as Record<string, string>) : undefined;
      if (existing) {
        if (normalizeLocation(existing.location) !== normalizeLocation(body.location)) {
          throw new ArmError(
            409,
            'InvalidResourceLocation',
            `The resource '${name}' already exists in location '${existing.location}' in resource group '${rg}'. A resource with the same name cannot be created in location '${body.location}'. Please select a new resource name.`,
          );
        }
        Object.assign(existing.properties, props);
        if (tags) existing.tags = tags;
        existing.modifiedDate = now;
        existing.etag = etag();
        return ok(workspaceView(existing), 200, running(existing));
      }
      const recovered = store.deletedWorkspaces.get(k);
      store.deletedWorkspaces.delete(k);
      const ws: Workspace = recovered ?? {
        subscriptionId: state.requireSubscription(sub).subscriptionId,
        resourceGroup: group.name,
        name,
        location: body.location,
        properties: props,
        customerId: randomUUID(),
        primarySharedKey: newSharedKey(),
        secondarySharedKey: newSharedKey(),
        provisioningState: 'Creating',
        createdDate: now,
        modifiedDate: now,
        etag: etag(),
      };
      if (recovered) Object.assign(ws.properties, props);
      ws.tags = tags ?? ws.tags;
      ws.provisioningState = 'Creating';
      store.workspaces.set(k, ws);
      ctx.ops.start({
        operationId: 'Workspaces_CreateOrUpdate',
        path: `/subscriptions/${ws.subscriptionId}/providers/${OI}/locations/${normalizeLocation(ws.location)}/operationstatuses/${newOperationId()}`,
        pollApiVersion: OI_OPERATION_API_VERSION,
        complete: () => {
          ws.provisioningState = 'Succeeded';
          ws.modifiedDate = new Date().toISOString();
        },
        fail: () => (ws.provisioningState = 'Failed'),
      });
      return ok(workspaceView(ws), 201, ctx.ops.retryAfter());
    }),

    route('GET', WS_PATH, 'Workspaces_Get', (req) => {
      const ws = requireWorkspace(req);
      return ok(workspaceView(ws), 200, running(ws));
    }),

    route('GET', `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/${OI}/workspaces`, 'Workspaces_ListByResourceGroup', (req) => {
      state.requireGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      return ok({ value: store.inGroup(store.workspaces, req.params.subscriptionId!, req.params.resourceGroupName!).map(workspaceView) });
    }),

    route('DELETE', WS_PATH, 'Workspaces_Delete', (req) => {
      const { sub, rg, name } = params(req);
      state.requireGroup(sub, rg);
      const ws = store.workspace(sub, rg, name);
      if (!ws) return { status: 204 };
      const force = req.query.get('force') === 'true';
      ws.provisioningState = 'Deleting';
      const id = newOperationId();
      const op = ctx.ops.start({
        operationId: 'Workspaces_Delete',
        path: `/subscriptions/${ws.subscriptionId}/providers/${OI}/locations/${normalizeLocation(ws.location)}/operationstatuses/${id}`,
        pollApiVersion: OI_OPERATION_API_VERSION,
        complete: () => {
          const k = key(ws.subscriptionId, ws.resourceGroup, ws.name);
          store.workspaces.delete(k);
          ws.provisioningState = 'Succeeded';
          if (!force) store.deletedWorkspaces.set(k, ws);
        },
        fail: () => (ws.provisioningState = 'Succeeded'),
      });
      const location = `${req.baseUrl}${workspaceId(ws)}/operationresults/${id}?api-version=${req.apiVersion}`;
      return { status: 202, headers: { 'Azure-AsyncOperation': ctx.ops.url(req, op), Location: location, ...ctx.ops.retryAfter() } };
    }),

    route(
      'GET',
      `/subscriptions/{subscriptionId}/providers/${OI}/locations/{location}/operationstatuses/{operationId}`,
      'Workspaces_OperationStatus',
      (req) => ctx.ops.asyncStatus(req.params.operationId!),
      [OI_OPERATION_API_VERSION, ...WORKSPACE_API_VERSIONS],
    ),
    route('GET', `${WS_PATH}/operationresults/{operationId}`, 'Workspaces_OperationResults', (req) => ctx.ops.locationStatus(req, req.params.operationId!)),

    route(
      'POST',
      `${WS_PATH}/sharedKeys`,
      'SharedKeys_GetSharedKeys',
      (req) => {
        const ws = requireWorkspace(req);
        return ok({ primarySharedKey: ws.primarySharedKey, secondarySharedKey: ws.secondarySharedKey });
      },
      SHARED_KEYS_API_VERSIONS,
    ),
  ];
}

/** Removes every workspace (live and soft-deleted) of a deleted resource group. */
export function dropWorkspaces(ctx: TwinContext, sub: string, rg: string): void {
  const store = appState(ctx);
  for (const map of [store.workspaces, store.deletedWorkspaces]) {
    for (const w of store.inGroup(map, sub, rg)) map.delete(key(w.subscriptionId, w.resourceGroup, w.name));
  }
}
