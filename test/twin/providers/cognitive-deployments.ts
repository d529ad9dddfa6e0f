// Deployments of an account: PUT (201 Accepted, body-mode LRO as in PutDeployment.json), PATCH
// (202 + Azure-AsyncOperation as in UpdateDeployment.json), get, list, delete (200, as recorded), with
// model availability per region and quota accounting per subscription + region + usage name.
import { ArmError, etag, isObject, key, normalizeLocation, ok, requireBody, resourceNotFound, type ArmRequest } from '../arm.js';
import { usageNameOf } from '../catalog.js';
import type { TwinContext } from '../context.js';
import { newOperationId } from '../lro.js';
import type { Route } from '../router.js';
import type { Account, Deployment } from '../state.js';
import { deploymentView } from './cognitive-views.js';
import { ACCOUNT_PATH, CS, CS_API_VERSIONS, CS_OPERATION_API_VERSION, operationPath, requireAccount, usageOf } from './cognitive-shared.js';

const DEPLOYMENT_PATH = `${ACCOUNT_PATH}/deployments/{deploymentName}`;

/** "Tokens Per Minute (thousands) - gpt-4o-mini" (Standard) or "… - gpt-4o-mini - GlobalStandard". */
export const quotaDisplayName = (sku: string, model: string): string => `Tokens Per Minute (thousands) - ${model}${sku === 'Standard' ? '' : ` - ${sku}`}`;

export function deploymentRoutes(ctx: TwinContext): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    operationId,
    apiVersions: CS_API_VERSIONS,
    handler,
  });

  const requireSucceededAccount = (req: ArmRequest): Account => {
    const account = requireAccount(ctx, req);
    if (account.provisioningState !== 'Succeeded') {
      throw new ArmError(
        409,
        'AccountProvisioningStateInvalid',
        `Call to ${CS}/accounts failed. Account '${account.name}' is in provisioning state '${account.provisioningState}'; retry when it is 'Succeeded'.`,
      );
    }
    return account;
  };

  const checkQuota = (account: Account, previous: Deployment | undefined, skuName: string, model: string, capacity: number) => {
    const usageName = usageNameOf(skuName, model);
    const limit = ctx.catalog.limit(account.location, usageName);
    const used = usageOf(ctx, account.subscriptionId, account.location, usageName);
    const sameUsage = previous && usageNameOf(previous.sku.name, previous.model.name).toLowerCase() === usageName.toLowerCase();
    const need = capacity - (sameUsage ? previous.sku.capacity : 0);
    const available = Math.max(0, limit - used);
    if (need > available) {
      const name = quotaDisplayName(skuName, model);
      throw new ArmError(
        400,
        'InsufficientQuota',
        `This operation require ${need} new capacity in quota ${name}, which is bigger than the current available capacity ${available}. The current quota usage is ${used} and the quota limit is ${limit} for quota ${usageName}.`,
      );
    }
  };

  const settle = (account: Account, d: Deployment, operationId: string, state: string) => {
    d.provisioningState = state;
    return ctx.ops.start({
      operationId,
      path: operationPath(account.subscriptionId, account.location, newOperationId()),
      pollApiVersion: CS_OPERATION_API_VERSION,
      complete: () => {
        d.provisioningState = 'Succeeded';
        d.etag = etag();
        ctx.events.emit('deploymentChanged', account, d, d.sku.capacity);
      },
      fail: () => (d.provisioningState = 'Failed'),
    });
  };

  return [
    route('PUT', DEPLOYMENT_PATH, 'Deployments_CreateOrUpdate', (req) => {
      const account = requireSucceededAccount(req);
      const body = requireBody(req);
      const props = isObject(body.properties) ? { ...body.properties } : {};
      const model = props.model;
      if (!isObject(model) || typeof model.name !== 'string' || typeof model.format !== 'string') {
        throw new ArmError(400, 'InvalidResourceProperties', 'The deployment must specify properties.model with format, name and version.');
      }
      delete props.model;
      delete props.provisioningState;
      const sku = isObject(body.sku) ? body.sku : undefined;
      const skuName = typeof sku?.name === 'string' ? sku.name : 'Standard';
      const capacity = typeof sku?.capacity === 'number' ? sku.capacity : 1;
      if (!Number.isInteger(capacity) || capacity < 1) {
        throw new ArmError(400, 'InvalidCapacity', `The capacity '${String(sku?.capacity)}' is invalid: it must be a positive integer.`);
      }
      const offer = ctx.catalog.find(account.location, model.format, model.name, String(model.version ?? ''));
      const region = normalizeLocation(account.location);
      if (!offer || !offer.skus.includes(skuName)) {
        throw new ArmError(
          400,
          'InvalidResourceProperties',
          `The specified SKU '${skuName}' for model '${model.name} ${String(model.version ?? '')}' is not supported in this region '${region}'.`,
        );
      }
      const name = req.params.deploymentName!;
      const previous = account.deployments.get(key(name));
      checkQuota(account, previous, skuName, offer.name, capacity);
      const now = new Date().toISOString();
      const d: Deployment = {
        name: previous?.name ?? name,
        sku: { name: skuName, capacity },
        model: { format: offer.format, name: offer.name, version: offer.version },
        properties: props,
        provisioningState: 'Accepted',
        etag: etag(),
        createdAt: previous?.createdAt ?? now,
        modifiedAt: now,
      };
      account.deployments.set(key(name), d);
      settle(account, d, 'Deployments_CreateOrUpdate', previous ? 'Updating' : 'Accepted');
      return ok(deploymentView(account, d), previous ? 200 : 201, ctx.ops.retryAfter());
    }),

    route('PATCH', DEPLOYMENT_PATH, 'Deployments_Update', (req) => {
      const account = requireSucceededAccount(req);
      const d = requireDeployment(account, req);
      const body = requireBody(req);
      if (isObject(body.sku)) {
        const skuName = typeof body.sku.name === 'string' ? body.sku.name : d.sku.name;
        const capacity = typeof body.sku.capacity === 'number' ? body.sku.capacity : d.sku.capacity;
        const offer = ctx.catalog.find(account.location, d.model.format, d.model.name, d.model.version);
        if (!offer?.skus.includes(skuName)) {
          throw new ArmError(
            400,
            'InvalidResourceProperties',
            `The specified SKU '${skuName}' for model '${d.model.name} ${d.model.version}' is not supported in this region '${normalizeLocation(account.location)}'.`,
          );
        }
        checkQuota(account, d, skuName, d.model.name, capacity);
        d.sku = { name: skuName, capacity };
      }
      d.modifiedAt = new Date().toISOString();
      const op = settle(account, d, 'Deployments_Update', 'Updating');
      return { status: 202, headers: { 'Azure-AsyncOperation': ctx.ops.url(req, op), ...ctx.ops.retryAfter() } };
    }),

    route('GET', DEPLOYMENT_PATH, 'Deployments_Get', (req) => {
      const account = requireAccount(ctx, req);
      const d = requireDeployment(account, req);
      return ok(deploymentView(account, d), 200, d.provisioningState === 'Succeeded' ? {} : ctx.ops.retryAfter());
    }),

    route('GET', `${ACCOUNT_PATH}/deployments`, 'Deployments_List', (req) => {
      const account = requireAccount(ctx, req);
      return ok({ value: [...account.deployments.values()].map((d) => deploymentView(account, d)) });
    }),

    route('DELETE', DEPLOYMENT_PATH, 'Deployments_Delete', (req) => {
      const account = requireAccount(ctx, req);
      const d = account.deployments.get(key(req.params.deploymentName!));
      if (!d) return { status: 204 };
      account.deployments.delete(key(d.name));
      ctx.events.emit('deploymentDeleted', account, d.name);
      return { status: 200 };
    }),
  ];
}

function requireDeployment(account: Account, req: ArmRequest): Deployment {
  const d = account.deployments.get(key(req.params.deploymentName!));
  if (!d) throw resourceNotFound(`${CS}/accounts/${account.name}/deployments/${req.params.deploymentName!}`, account.resourceGroup);
  return d;
}
