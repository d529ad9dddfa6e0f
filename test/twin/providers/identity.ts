// Microsoft.ManagedIdentity user-assigned identities (@azure/arm-msi 2.2.0, api 2024-11-30): PUT is
// synchronous, 201 new / 200 existing, with principalId/clientId/tenantId GUIDs (IdentityCreate.json).
// The new principal enters the twin's directory, which starts the role-assignment replication delay.
import { randomUUID } from 'node:crypto';
import { ArmError, isObject, key, ok, requireBody, resourceNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import type { AuthState, UserAssignedIdentity } from './auth-state.js';

export const MSI = 'Microsoft.ManagedIdentity';
export const MSI_API_VERSIONS = ['2024-11-30', '2023-07-31-preview', '2023-01-31', '2018-11-30'];
const RG_PATH = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${MSI}/userAssignedIdentities`;
const IDENTITY_PATH = `${RG_PATH}/{resourceName}`;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;

export function identityId(i: UserAssignedIdentity): string {
  return `/subscriptions/${i.subscriptionId}/resourcegroups/${i.resourceGroup}/providers/${MSI}/userAssignedIdentities/${i.name}`;
}

export function identityView(i: UserAssignedIdentity): Record<string, unknown> {
  return {
    id: identityId(i),
    name: i.name,
    type: `${MSI}/userAssignedIdentities`,
    location: i.location,
    ...(i.tags ? { tags: i.tags } : {}),
    properties: { tenantId: i.tenantId, principalId: i.principalId, clientId: i.clientId, isolationScope: i.isolationScope },
  };
}

export function identityRoutes(ctx: TwinContext, auth: AuthState): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    operationId,
    apiVersions: MSI_API_VERSIONS,
    handler,
  });
  const params = (req: ArmRequest) => ({ sub: req.params.subscriptionId!, rg: req.params.resourceGroupName!, name: req.params.resourceName ?? '' });
  const require = (req: ArmRequest) => {
    const { sub, rg, name } = params(req);
    ctx.state.requireGroup(sub, rg);
    const identity = auth.identity(sub, rg, name);
    if (!identity) throw resourceNotFound(`${MSI}/userAssignedIdentities/${name}`, rg);
    return identity;
  };

  return [
    route('PUT', IDENTITY_PATH, 'UserAssignedIdentities_CreateOrUpdate', (req) => {
      const { sub, rg, name } = params(req);
      const group = ctx.state.requireGroup(sub, rg);
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
      if (!NAME.test(name)) {
        throw new ArmError(
          400,
          'InvalidResourceName',
          `Resource name ${name} is invalid. The name can contain only letters, numbers, underscores and hyphens. The name must start with a letter or number and be between 3 and 128 characters long.`,
        );
      }
      const tags = isObject(body.tags) ? (body.tags as Record<string, string>) : undefined;
      const existing = auth.identity(sub, rg, name);
      if (existing) {
        existing.tags = tags;
        return ok(identityView(existing), 200);
      }
      const props = isObject(body.properties) ? body.properties : {};
      const identity: UserAssignedIdentity = {
        subscriptionId: ctx.state.requireSubscription(sub).subscriptionId,
        resourceGroup: group.name,
        name,
        location: body.location,
        tags,
        principalId: randomUUID(),
        clientId: randomUUID(),
        tenantId: ctx.tenantId,
        isolationScope: typeof props.isolationScope === 'string' ? props.isolationScope : 'None',
      };
      auth.identities.set(key(sub, rg, name), identity);
      auth.addPrincipal(identity.principalId);
      return ok(identityView(identity), 201);
    }),
    route('GET', IDENTITY_PATH, 'UserAssignedIdentities_Get', (req) => ok(identityView(require(req)))),
    route('GET', RG_PATH, 'UserAssignedIdentities_ListByResourceGroup', (req) => {
      const { sub, rg } = params(req);
      ctx.state.requireGroup(sub, rg);
      return ok({ value: [...auth.identities.values()].filter((i) => key(i.subscriptionId, i.resourceGroup) === key(sub, rg)).map(identityView) });
    }),
    route('DELETE', IDENTITY_PATH, 'UserAssignedIdentities_Delete', (req) => {
      const { sub, rg, name } = params(req);
      ctx.state.requireGroup(sub, rg);
      if (!auth.identities.delete(key(sub, rg, name))) return { status: 204 };
      return { status: 200 };
    }),
  ];
}
