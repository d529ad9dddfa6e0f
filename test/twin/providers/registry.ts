// Microsoft.ContainerRegistry registries (@azure/arm-containerregistry 11.0.0, api 2025-11-01): create
// (201 Creating + Azure-AsyncOperation → Succeeded, RegistryCreate.json's shape), get, list, delete
// (202 + Location), checkNameAvailability (names are global: {name}.azurecr.io), and
// listBuildSourceUploadUrl (api 2019-06-01-preview) → a SAS URL on the twin's blob endpoint.
import { randomUUID } from 'node:crypto';
import { ArmError, isObject, key, ok, requireBody, resourceNotFound, systemData, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import { newOperationId } from '../lro.js';
import type { Route } from '../router.js';
import type { AuthState } from './auth-state.js';
import type { BlobStore } from './registry-blobs.js';
import type { Registry } from './registry-state.js';

export const ACR = 'Microsoft.ContainerRegistry';
export const ACR_API_VERSIONS = ['2025-11-01', '2025-04-01', '2023-07-01', '2023-01-01-preview', '2019-05-01'];
export const ACR_TASKS_API_VERSIONS = ['2019-06-01-preview', '2019-04-01'];
export const REGISTRY_PATH = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${ACR}/registries/{registryName}`;
const NAME = /^[a-zA-Z0-9]{5,50}$/;
const SKUS = ['Basic', 'Standard', 'Premium'];

export const registryId = (r: Registry): string => `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/${ACR}/registries/${r.name}`;
export const loginServer = (r: Registry): string => `${r.name.toLowerCase()}.azurecr.io`;
/** The registry's storage container for task sources and logs (ACR uses one per registry). */
export const containerOf = (r: Registry): string => `container-${createStableHex(registryId(r))}`;

function createStableHex(text: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; round < 4; round++) {
    for (const c of `${round}${text.toLowerCase()}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

export function registryView(r: Registry): Record<string, unknown> {
  return {
    sku: { name: r.sku, tier: r.sku },
    type: `${ACR}/registries`,
    ...(r.identity ? { identity: r.identity } : {}),
    id: registryId(r),
    name: r.name,
    location: r.location,
    tags: r.tags ?? {},
    systemData: systemData(r.creationDate),
    properties: {
      loginServer: loginServer(r),
      creationDate: r.creationDate,
      provisioningState: r.provisioningState,
      adminUserEnabled: r.properties.adminUserEnabled === true,
      policies: {
        quarantinePolicy: { status: 'disabled' },
        trustPolicy: { type: 'Notary', status: 'disabled' },
        retentionPolicy: { days: 7, lastUpdatedTime: r.creationDate, status: 'disabled' },
        exportPolicy: { status: 'enabled' },
        azureADAuthenticationAsArmPolicy: { status: 'enabled' },
      },
      encryption: { status: 'disabled' },
      dataEndpointEnabled: false,
      dataEndpointHostNames: [],
      privateEndpointConnections: [],
      publicNetworkAccess: r.properties.publicNetworkAccess ?? 'Enabled',
      networkRuleBypassOptions: r.properties.networkRuleBypassOptions ?? 'AzureServices',
      zoneRedundancy: r.properties.zoneRedundancy ?? 'Disabled',
      anonymousPullEnabled: r.properties.anonymousPullEnabled === true,
    },
  };
}

export function requireRegistry(ctx: TwinContext, auth: AuthState, req: ArmRequest): Registry {
  const sub = req.params.subscriptionId!;
  const rg = req.params.resourceGroupName!;
  const name = req.params.registryName!;
  ctx.state.requireGroup(sub, rg);
  const registry = auth.registry(sub, rg, name);
  if (!registry) throw resourceNotFound(`${ACR}/registries/${name}`, rg);
  return registry;
}

function alreadyInUse(name: string): ArmError {
  return new ArmError(
    409,
    'AlreadyInUse',
    `The registry DNS name ${name.toLowerCase()}.azurecr.io is already in use. You can check if the name is already claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability`,
  );
}

export function registryRoutes(ctx: TwinContext, auth: AuthState, blobs: BlobStore): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler'], apiVersions = ACR_API_VERSIONS): Route => ({
    method,
    pattern,
    operationId,
    apiVersions,
    handler,
  });
  const statusPath = (r: Registry, kind: 'operationStatuses' | 'operationResults') => `${registryId(r)}/${kind}/registries-${newOperationId()}`;

  const create = (req: ArmRequest) => {
    const sub = req.params.subscriptionId!;
    const rg = req.params.resourceGroupName!;
    const name = req.params.registryName!;
    const group = ctx.state.requireGroup(sub, rg);
    const body = requireBody(req);
    if (typeof body.location !== 'string' || !body.location)
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const sku = isObject(body.sku) && typeof body.sku.name === 'string' ? body.sku.name : '';
    if (!SKUS.includes(sku)) throw new ArmError(400, 'InvalidSku', `The SKU '${sku}' is invalid. Valid SKUs are: ${SKUS.join(', ')}.`);
    if (!NAME.test(name)) {
      throw new ArmError(400, 'InvalidRegistryName', 'Registry names may contain only alpha numeric characters and must be between 5 and 50 characters');
    }
    const props = isObject(body.properties) ? body.properties : {};
    const existing = auth.registry(sub, rg, name);
    const now = new Date().toISOString();
    if (existing) {
      Object.assign(existing.properties, props);
      existing.sku = sku;
      if (isObject(body.tags)) existing.tags = body.tags as Record<string, string>;
      return ok(registryView(existing), 200);
    }
    if (auth.registryNameTaken(name)) throw alreadyInUse(name);
    const registry: Registry = {
      subscriptionId: ctx.state.requireSubscription(sub).subscriptionId,
      resourceGroup: group.name,
      name,
      location: body.location,
      tags: isObject(body.tags) ? (body.tags as Record<string, string>) : undefined,
      sku,
      properties: { ...props },
      identity: isObject(body.identity) ? { ...body.identity, principalId: randomUUID(), tenantId: ctx.tenantId } : undefined,
      provisioningState: 'Creating',
      creationDate: now,
      runCounter: 0,
      runs: new Map(),
    };
    auth.registries.set(key(sub, rg, name), registry);
    const op = ctx.ops.start({
      operationId: 'Registries_Create',
      path: statusPath(registry, 'operationStatuses'),
      pollApiVersion: req.apiVersion,
      complete: () => (registry.provisioningState = 'Succeeded'),
      fail: () => (registry.provisioningState = 'Failed'),
    });
    return ok(registryView(registry), 201, { 'Azure-AsyncOperation': ctx.ops.url(req, op), ...ctx.ops.retryAfter() });
  };

  return [
    route('PUT', REGISTRY_PATH, 'Registries_Create', create),
    route('GET', REGISTRY_PATH, 'Registries_Get', (req) => {
      const r = requireRegistry(ctx, auth, req);
      return ok(registryView(r), 200, r.provisioningState === 'Succeeded' ? {} : ctx.ops.retryAfter());
    }),
    route('GET', `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${ACR}/registries`, 'Registries_ListByResourceGroup', (req) => {
      const sub = req.params.subscriptionId!;
      const rg = req.params.resourceGroupName!;
      ctx.state.requireGroup(sub, rg);
      return ok({ value: [...auth.registries.values()].filter((r) => key(r.subscriptionId, r.resourceGroup) === key(sub, rg)).map(registryView) });
    }),
    route('GET', `/subscriptions/{subscriptionId}/providers/${ACR}/registries`, 'Registries_List', (req) => {
      ctx.state.requireSubscription(req.params.subscriptionId!);
      return ok({
        value: [...auth.registries.values()].filter((r) => r.subscriptionId.toLowerCase() === req.params.subscriptionId!.toLowerCase()).map(registryView),
      });
    }),
    route('DELETE', REGISTRY_PATH, 'Registries_Delete', (req) => {
      const sub = req.params.subscriptionId!;
      const rg = req.params.resourceGroupName!;
      ctx.state.requireGroup(sub, rg);
      const registry = auth.registry(sub, rg, req.params.registryName!);
      if (!registry) return { status: 204 };
      registry.provisioningState = 'Deleting';
      const op = ctx.ops.start({
        operationId: 'Registries_Delete',
        path: statusPath(registry, 'operationResults'),
        pollApiVersion: req.apiVersion,
        complete: () => {
          auth.registries.delete(key(sub, rg, registry.name));
          for (const image of auth.images.list()) if (image.name.startsWith(`${loginServer(registry)}/`)) auth.images.delete(image.name);
        },
        fail: () => (registry.provisioningState = 'Failed'),
      });
      return { status: 202, headers: { Location: ctx.ops.url(req, op), ...ctx.ops.retryAfter() } };
    }),
    route('GET', `${REGISTRY_PATH}/operationStatuses/{operationId}`, 'Registries_OperationStatus', (req) => ctx.ops.asyncStatus(req.params.operationId!)),
    route('GET', `${REGISTRY_PATH}/operationResults/{operationId}`, 'Registries_OperationResults', (req) =>
      ctx.ops.locationStatus(req, req.params.operationId!),
    ),
    route('POST', `/subscriptions/{subscriptionId}/providers/${ACR}/checkNameAvailability`, 'Registries_CheckNameAvailability', (req) => {
      ctx.state.requireSubscription(req.params.subscriptionId!);
      const body = requireBody(req);
      const name = typeof body.name === 'string' ? body.name : '';
      if (body.type !== `${ACR}/registries`) throw new ArmError(400, 'InvalidResourceType', `The resource type '${String(body.type)}' is not supported.`);
      if (!NAME.test(name)) {
        return ok({
          nameAvailable: false,
          reason: 'Invalid',
          message: 'Registry names may contain only alpha numeric characters and must be between 5 and 50 characters',
        });
      }
      if (auth.registryNameTaken(name)) return ok({ nameAvailable: false, reason: 'AlreadyExists', message: `The registry ${name} is already in use.` });
      return ok({ nameAvailable: true });
    }),
    route(
      'POST',
      `${REGISTRY_PATH}/listBuildSourceUploadUrl`,
      'Registries_GetBuildSourceUploadUrl',
      (req) => {
        const registry = requireRegistry(ctx, auth, req);
        // ACR derives the blob name from the correlation id (azd sends a fresh one per request).
        const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
        const relativePath = `tasks-source/${day}0000/${req.correlationId.replace(/-/g, '')}.tar.gz`;
        return ok({ relativePath, uploadUrl: blobs.sasUrl(req.baseUrl, `${containerOf(registry)}/${relativePath}`, 'cw') });
      },
      ACR_TASKS_API_VERSIONS,
    ),
  ];
}
