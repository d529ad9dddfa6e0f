// Shared by the Microsoft.CognitiveServices modules: api-versions, paths, the account lookup.
import { ArmError, key, normalizeLocation, pathParams, resourceNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Account } from '../state.js';

export const CS_API_VERSIONS = ['2025-09-01', '2025-06-01', '2025-04-01-preview', '2024-10-01', '2023-05-01', '2022-12-01', '2021-10-01'];
/** The operationResults URLs ARM hands out for CognitiveServices carry this older api-version (recording). */
export const CS_OPERATION_API_VERSION = '2017-04-18';
export const CS = 'Microsoft.CognitiveServices';
export const ACCOUNT_PATH = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${CS}/accounts/{accountName}`;
export const LOCATION_PATH = `/subscriptions/{subscriptionId}/providers/${CS}/locations/{location}`;

export const accountId = (a: Account): string => `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/${CS}/accounts/${a.name}`;

/** Status resource path for an operation started in the account's region (raw region name, as recorded). */
export const operationPath = (sub: string, location: string, id: string): string =>
  `/subscriptions/${sub}/providers/${CS}/locations/${location}/operationResults/${id}`;

export function requireAccount(ctx: TwinContext, req: ArmRequest): Account {
  const { sub, rg, name } = pathParams(req);
  ctx.state.requireGroup(sub, rg);
  const account = ctx.state.account(sub, rg, name);
  if (!account) throw resourceNotFound(`${CS}/accounts/${name}`, rg);
  return account;
}

/** Quota used in a subscription + region for one usage name: deployments of live and soft-deleted
 *  accounts (a soft-deleted account keeps its quota until it is purged). */
export function usageOf(ctx: TwinContext, sub: string, region: string, usageName: string, except?: { account: Account; deployment: string }): number {
  const wantedRegion = normalizeLocation(region);
  let used = 0;
  for (const account of [...ctx.state.accounts.values(), ...ctx.state.deletedAccounts.values()]) {
    if (account.subscriptionId.toLowerCase() !== sub.toLowerCase() || normalizeLocation(account.location) !== wantedRegion) continue;
    for (const d of account.deployments.values()) {
      if (except && except.account === account && key(d.name) === key(except.deployment)) continue;
      if (d.provisioningState === 'Failed') continue;
      if (`OpenAI.${d.sku.name}.${d.model.name}`.toLowerCase() === usageName.toLowerCase()) used += d.sku.capacity;
    }
  }
  return used;
}

export function locationNotAvailable(ctx: TwinContext, location: string): ArmError {
  return new ArmError(
    400,
    'LocationNotAvailableForResourceType',
    `The provided location '${location}' is not available for resource type '${CS}/accounts'. List of available regions for the resource type is '${ctx.catalog.regions().join(',')}'.`,
  );
}
