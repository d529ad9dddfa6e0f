// Microsoft.CognitiveServices accounts: create (201 + Azure-AsyncOperation, Creating → Succeeded, as
// recorded), get/list, delete → soft-delete, deletedAccounts get/list/purge, checkDomainAvailability,
// and the CustomDomainInUse / FlagMustBeSetForRestore conflicts.
import { randomUUID } from 'node:crypto';
import { ArmError, etag, isObject, key, normalizeLocation, ok, pathParams, requireBody, resourceNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import { newOperationId } from '../lro.js';
import type { Route } from '../router.js';
import type { Account } from '../state.js';
import { accountView } from './cognitive-views.js';
import {
  ACCOUNT_PATH,
  CS,
  CS_API_VERSIONS,
  CS_OPERATION_API_VERSION,
  LOCATION_PATH,
  accountId,
  locationNotAvailable,
  operationPath,
  requireAccount,
} from './cognitive-shared.js';

const SUBDOMAIN = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}[a-zA-Z0-9]$/;

export function softDeleteAccount(ctx: TwinContext, account: Account): void {
  const now = new Date();
  ctx.state.accounts.delete(key(account.subscriptionId, account.resourceGroup, account.name));
  account.deletionDate = now.toISOString();
  account.scheduledPurgeDate = new Date(now.getTime() + 48 * 3600e3).toISOString();
  account.provisioningState = 'Succeeded';
  ctx.state.deletedAccounts.set(ctx.state.deletedKey(account.subscriptionId, account.location, account.resourceGroup, account.name), account);
  ctx.events.emit('accountDeleted', account);
}

export function accountRoutes(ctx: TwinContext): Route[] {
  const { state } = ctx;
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler'], apiVersions: readonly string[] = CS_API_VERSIONS): Route => ({
    method,
    pattern,
    operationId,
    apiVersions,
    handler,
  });
  const asyncHeaders = (req: ArmRequest, op: ReturnType<typeof ctx.ops.start>) => ({ 'Azure-AsyncOperation': ctx.ops.url(req, op), ...ctx.ops.retryAfter() });

  const create = (req: ArmRequest) => {
    const { sub, rg, name } = pathParams(req);
    const group = state.requireGroup(sub, rg);
    if (group.provisioningState === 'Deleting') {
      throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`);
    }
    const body = requireBody(req);
    if (typeof body.location !== 'string' || !body.location)
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    if (!ctx.catalog.regions().includes(normalizeLocation(body.location))) throw locationNotAvailable(ctx, body.location);
    if (typeof body.kind !== 'string' || !isObject(body.sku) || typeof body.sku.name !== 'string') {
      throw new ArmError(400, 'InvalidRequestContent', "The request content was invalid: 'kind' and 'sku.name' are required.");
    }
    const props = isObject(body.properties) ? { ...body.properties } : {};
    const restore = props.restore === true;
    delete props.restore;
    const existing = state.account(sub, rg, name);
    const deleted = [...state.deletedAccounts.values()].find((a) => key(a.subscriptionId, a.resourceGroup, a.name) === key(sub, rg, name));
    if (deleted && !existing && !restore) {
      throw new ArmError(
        409,
        'FlagMustBeSetForRestore',
        `An existing resource with ID '${accountId(deleted)}' has been soft-deleted. To restore the resource, you must specify 'restore' to be 'true' in the property. If you don't want to restore existing resource, please purge it first.`,
      );
    }
    const subdomain = typeof props.customSubDomainName === 'string' ? props.customSubDomainName : undefined;
    if (subdomain) {
      const holder = state.subdomainHolder(subdomain);
      if (holder && holder.account !== existing && holder.account !== (restore ? deleted : undefined)) {
        throw new ArmError(
          409,
          'CustomDomainInUse',
          `Please pick a different name. The subdomain name '${subdomain}' is not available as it's already used by a resource. If the resource using the name was deleted in the last 48 hours, you may need to purge the deleted resource.`,
        );
      }
    }
    const now = new Date().toISOString();
    if (existing) {
      Object.assign(existing.properties, props);
      if (isObject(body.tags)) existing.tags = body.tags as Record<string, string>;
      if (isObject(body.identity)) existing.identity = withPrincipal(ctx, body.identity, existing.identity);
      existing.modifiedAt = now;
      existing.etag = etag();
      return ok(accountView(ctx, existing), 200, existing.provisioningState === 'Succeeded' ? {} : ctx.ops.retryAfter());
    }
    let account: Account;
    if (deleted && restore) {
      state.deletedAccounts.delete(state.deletedKey(deleted.subscriptionId, deleted.location, deleted.resourceGroup, deleted.name));
      account = deleted;
      delete account.deletionDate;
      delete account.scheduledPurgeDate;
    } else {
      account = {
        subscriptionId: state.requireSubscription(sub).subscriptionId,
        resourceGroup: group.name,
        name,
        location: body.location,
        kind: body.kind,
        sku: { name: body.sku.name },
        tags: isObject(body.tags) ? (body.tags as Record<string, string>) : undefined,
        identity: isObject(body.identity) ? withPrincipal(ctx, body.identity) : undefined,
        properties: props,
        provisioningState: 'Creating',
        internalId: randomUUID().replace(/-/g, ''),
        dateCreated: now,
        createdAt: now,
        modifiedAt: now,
        etag: etag(),
        deployments: new Map(),
      };
    }
    account.provisioningState = 'Creating';
    state.accounts.set(key(sub, rg, name), account);
    const op = ctx.ops.start({
      operationId: 'Accounts_Create',
      path: operationPath(account.subscriptionId, account.location, newOperationId()),
      pollApiVersion: CS_OPERATION_API_VERSION,
      runningStatus: 'Creating',
      complete: () => {
        account.provisioningState = 'Succeeded';
        account.etag = etag();
        ctx.events.emit('accountCreated', account);
      },
      fail: () => (account.provisioningState = 'Failed'),
    });
    return ok(accountView(ctx, account), 201, asyncHeaders(req, op));
  };

  return [
    route('PUT', ACCOUNT_PATH, 'Accounts_Create', create),
    route('GET', ACCOUNT_PATH, 'Accounts_Get', (req) => {
      const account = requireAccount(ctx, req);
      return ok(accountView(ctx, account), 200, account.provisioningState === 'Succeeded' ? {} : ctx.ops.retryAfter());
    }),
    route('GET', `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${CS}/accounts`, 'Accounts_ListByResourceGroup', (req) => {
      state.requireGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      return ok({ value: state.accountsIn(req.params.subscriptionId!, req.params.resourceGroupName!).map((a) => accountView(ctx, a)) });
    }),
    route('GET', `/subscriptions/{subscriptionId}/providers/${CS}/accounts`, 'Accounts_List', (req) => {
      state.requireSubscription(req.params.subscriptionId!);
      return ok({ value: state.accountsIn(req.params.subscriptionId!).map((a) => accountView(ctx, a)) });
    }),
    route('DELETE', ACCOUNT_PATH, 'Accounts_Delete', (req) => {
      const { sub, rg, name } = pathParams(req);
      state.requireGroup(sub, rg);
      const account = state.account(sub, rg, name);
      if (!account) return { status: 204 };
      account.provisioningState = 'Deleting';
      const op = ctx.ops.start({
        operationId: 'Accounts_Delete',
        path: operationPath(account.subscriptionId, account.location, newOperationId()),
        pollApiVersion: CS_OPERATION_API_VERSION,
        runningStatus: 'Deleting',
        complete: () => softDeleteAccount(ctx, account),
        fail: () => (account.provisioningState = 'Failed'),
      });
      return { status: 202, headers: asyncHeaders(req, op) };
    }),
    route('POST', `/subscriptions/{subscriptionId}/providers/${CS}/checkDomainAvailability`, 'CheckDomainAvailability', (req) => {
      state.requireSubscription(req.params.subscriptionId!);
      const body = requireBody(req);
      const subdomainName = String(body.subdomainName ?? '');
      const type = String(body.type ?? `${CS}/accounts`);
      const result: Record<string, unknown> = { isSubdomainAvailable: true, subdomainName, type };
      if (typeof body.kind === 'string') result.kind = body.kind;
      if (!SUBDOMAIN.test(subdomainName)) {
        Object.assign(result, { isSubdomainAvailable: false, reason: `Sub domain name '${subdomainName}' is not valid` });
      } else if (state.subdomainHolder(subdomainName)) {
        Object.assign(result, { isSubdomainAvailable: false, reason: `Sub domain name '${subdomainName}' is already used. Please select a different name.` });
      }
      return ok(result);
    }),
    route('GET', `/subscriptions/{subscriptionId}/providers/${CS}/deletedAccounts`, 'DeletedAccounts_List', (req) => {
      const sub = state.requireSubscription(req.params.subscriptionId!).subscriptionId.toLowerCase();
      return ok({ value: [...state.deletedAccounts.values()].filter((a) => a.subscriptionId.toLowerCase() === sub).map((a) => accountView(ctx, a)) });
    }),
    route('GET', `${LOCATION_PATH}/resourceGroups/{resourceGroupName}/deletedAccounts/{accountName}`, 'DeletedAccounts_Get', (req) => {
      return ok(accountView(ctx, requireDeleted(ctx, req)));
    }),
    route('DELETE', `${LOCATION_PATH}/resourceGroups/{resourceGroupName}/deletedAccounts/{accountName}`, 'DeletedAccounts_Purge', (req) => {
      const account = requireDeleted(ctx, req);
      const op = ctx.ops.start({
        operationId: 'DeletedAccounts_Purge',
        path: operationPath(account.subscriptionId, account.location, newOperationId()),
        pollApiVersion: CS_OPERATION_API_VERSION,
        runningStatus: 'Deleting',
        complete: () => {
          state.deletedAccounts.delete(state.deletedKey(account.subscriptionId, account.location, account.resourceGroup, account.name));
          ctx.events.emit('accountPurged', account);
        },
      });
      return { status: 202, headers: asyncHeaders(req, op) };
    }),
    route('GET', `${LOCATION_PATH}/operationResults/{operationId}`, 'OperationStatus_Get', (req) => ctx.ops.asyncStatus(req.params.operationId!), [
      CS_OPERATION_API_VERSION,
      ...CS_API_VERSIONS,
    ]),
  ];
}

function requireDeleted(ctx: TwinContext, req: ArmRequest): Account {
  const { sub, location, rg, name } = pathParams(req);
  ctx.state.requireSubscription(sub);
  const account = ctx.state.deletedAccount(sub, location, rg, name);
  if (!account) {
    throw resourceNotFound(`${CS}/locations/${normalizeLocation(location)}/resourceGroups/${rg}/deletedAccounts/${name}`, rg);
  }
  return account;
}

function withPrincipal(ctx: TwinContext, identity: Record<string, unknown>, previous?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...identity };
  if (String(identity.type ?? '').includes('SystemAssigned')) {
    out.principalId = previous?.principalId ?? randomUUID();
    out.tenantId = ctx.tenantId;
  }
  if (isObject(identity.userAssignedIdentities)) {
    out.userAssignedIdentities = Object.fromEntries(
      Object.keys(identity.userAssignedIdentities).map((id) => [id, { principalId: randomUUID(), clientId: randomUUID() }]),
    );
  }
  return out;
}
