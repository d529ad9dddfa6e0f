// Microsoft.Resources: subscriptions (arm-resources-subscriptions) and resource groups (arm-resources
// ResourceGroupsOperations), with the resource-group delete LRO in Location mode (202 + Location +
// Retry-After, then 202 … 200), as in ForceDeleteVMsInResourceGroup.json and the azd recording.
import { ArmError, isObject, key, ok, requireBody, resourceGroupId, resourceGroupNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import type { ResourceGroup, Subscription } from '../state.js';
import { softDeleteAccount } from './cognitive-accounts.js';

export const RESOURCES_API_VERSIONS = ['2025-04-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-07-01', '2022-09-01', '2021-04-01', '2020-06-01'];
export const SUBSCRIPTIONS_API_VERSIONS = ['2022-12-01', '2021-01-01', '2020-01-01', '2016-06-01'];

export function resourceRoutes(ctx: TwinContext): Route[] {
  const { state } = ctx;
  const rgPath = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}';
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler'], apiVersions = RESOURCES_API_VERSIONS): Route => ({
    method,
    pattern,
    operationId,
    apiVersions,
    handler,
  });

  const groupView = (g: ResourceGroup) => ({
    id: resourceGroupId(g.subscriptionId, g.name),
    name: g.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: g.location,
    ...(g.managedBy ? { managedBy: g.managedBy } : {}),
    ...(g.tags ? { tags: g.tags } : {}),
    properties: { provisioningState: g.provisioningState },
  });
  const subscriptionView = (s: Subscription) => ({
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: s.state,
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  });
  const params = (req: ArmRequest) => ({ sub: req.params.subscriptionId!, rg: req.params.resourceGroupName! });

  return [
    route(
      'GET',
      '/subscriptions',
      'Subscriptions_List',
      () => ok({ value: [...state.subscriptions.values()].map(subscriptionView) }),
      SUBSCRIPTIONS_API_VERSIONS,
    ),
    route(
      'GET',
      '/subscriptions/{subscriptionId}',
      'Subscriptions_Get',
      (req) => ok(subscriptionView(state.requireSubscription(req.params.subscriptionId!))),
      SUBSCRIPTIONS_API_VERSIONS,
    ),

    route('PUT', rgPath, 'ResourceGroups_CreateOrUpdate', (req) => {
      const { sub, rg } = params(req);
      state.requireSubscription(sub);
      const body = requireBody(req);
      if (typeof body.location !== 'string' || !body.location) {
        throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      }
      if (!/^[-\w._()]{1,90}$/.test(rg) || rg.endsWith('.')) {
        throw new ArmError(
          400,
          'InvalidResourceGroupName',
          `The provided resource group name '${rg}' has these invalid characters: '${rg.replace(/[-\w._()]/g, '')}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.`,
        );
      }
      const existing = state.group(sub, rg);
      if (existing?.provisioningState === 'Deleting') {
        throw new ArmError(
          409,
          'ResourceGroupBeingDeleted',
          `The resource group '${existing.name}' is in deprovisioning state and cannot perform this operation.`,
        );
      }
      if (existing && existing.location.toLowerCase() !== body.location.toLowerCase()) {
        throw new ArmError(
          409,
          'InvalidResourceGroupLocation',
          `Invalid resource group location '${body.location}'. The Resource group already exists in location '${existing.location}'.`,
        );
      }
      const group: ResourceGroup = {
        subscriptionId: state.requireSubscription(sub).subscriptionId,
        name: existing?.name ?? rg,
        location: body.location,
        tags: isObject(body.tags) ? (body.tags as Record<string, string>) : undefined,
        managedBy: typeof body.managedBy === 'string' ? body.managedBy : undefined,
        provisioningState: 'Succeeded',
      };
      state.groups.set(key(sub, rg), group);
      return ok(groupView(group), existing ? 200 : 201);
    }),

    route('GET', rgPath, 'ResourceGroups_Get', (req) => ok(groupView(state.requireGroup(params(req).sub, params(req).rg)))),

    route('HEAD', rgPath, 'ResourceGroups_CheckExistence', (req) => {
      state.requireSubscription(params(req).sub);
      return { status: state.group(params(req).sub, params(req).rg) ? 204 : 404 };
    }),

    route('PATCH', rgPath, 'ResourceGroups_Update', (req) => {
      const group = state.requireGroup(params(req).sub, params(req).rg);
      const body = requireBody(req);
      if (isObject(body.tags)) group.tags = body.tags as Record<string, string>;
      return ok(groupView(group));
    }),

    route('GET', '/subscriptions/{subscriptionId}/resourcegroups', 'ResourceGroups_List', (req) => {
      state.requireSubscription(req.params.subscriptionId!);
      const sub = req.params.subscriptionId!.toLowerCase();
      return ok({ value: [...state.groups.values()].filter((g) => g.subscriptionId.toLowerCase() === sub).map(groupView) });
    }),

    route('DELETE', rgPath, 'ResourceGroups_Delete', (req) => {
      const { sub, rg } = params(req);
      const group = state.requireGroup(sub, rg);
      if (group.provisioningState === 'Deleting') throw resourceGroupNotFound(rg);
      group.provisioningState = 'Deleting';
      const location = group.location.toLowerCase();
      const job = { jobId: `RESOURCEGROUPDELETIONJOB-RG:2D${group.name.toUpperCase()}-${location.toUpperCase()}:${Date.now()}`, jobLocation: location };
      const token = Buffer.from(JSON.stringify(job)).toString('base64url');
      const op = ctx.ops.start({
        operationId: 'ResourceGroups_Delete',
        path: `/subscriptions/${group.subscriptionId}/operationresults/${token}`,
        pollApiVersion: req.apiVersion,
        complete: () => {
          for (const account of state.accountsIn(sub, rg)) softDeleteAccount(ctx, account);
          state.groups.delete(key(sub, rg));
          ctx.events.emit('resourceGroupDeleted', group);
        },
        fail: () => (group.provisioningState = 'Succeeded'),
      });
      return { status: 202, headers: { Location: ctx.ops.url(req, op), ...ctx.ops.retryAfter() } };
    }),

    route('GET', '/subscriptions/{subscriptionId}/operationresults/{operationId}', 'ResourceGroups_OperationResults', (req) =>
      ctx.ops.locationStatus(req, req.params.operationId!),
    ),
  ];
}
