// Shared by the Microsoft.App modules: api-versions, paths, the LRO answers (Azure-AsyncOperation to
// …/locations/{l}/{kind}OperationStatuses/{id}?…&azureAsyncOperation=true, Location to
// …/{kind}OperationResults/{id}, Retry-After, x-ms-async-operation-timeout), the status-poll routes.
import { ArmError, type ArmRequest, type ArmResponse } from '../arm.js';
import type { TwinContext } from '../context.js';
import { newOperationId, type Operation, type StartOptions } from '../lro.js';
import type { Route } from '../router.js';
import { appState } from './app-state.js';
import { normalizeLocation } from '../arm.js';

export const APP = 'Microsoft.App';
/** @azure/arm-appcontainers 3.0.0 sends 2025-07-01; the recordings and examples use the others. */
export const APP_API_VERSIONS = [
  '2025-07-01',
  '2025-02-02-preview',
  '2025-01-01',
  '2024-03-01',
  '2023-05-01',
  '2022-10-01',
  '2022-06-01-preview',
  '2022-03-01',
];
export const RG_PATH = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';
export const ENV_PATH = `${RG_PATH}/providers/${APP}/managedEnvironments/{environmentName}`;
export const APP_PATH = `${RG_PATH}/providers/${APP}/containerApps/{containerAppName}`;
const LOCATIONS = `/subscriptions/{subscriptionId}/providers/${APP}/locations/{location}`;

export type OperationKind = 'containerapp' | 'managedEnvironment';

export const appRoute = (
  method: string,
  pattern: string,
  operationId: string,
  handler: Route['handler'],
  apiVersions: readonly string[] = APP_API_VERSIONS,
): Route => ({ method, pattern, operationId, apiVersions, handler });

export function groupForWrite(ctx: TwinContext, sub: string, rg: string) {
  const group = ctx.state.requireGroup(sub, rg);
  if (group.provisioningState === 'Deleting') {
    throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`);
  }
  return group;
}

/**
 * Starts a Microsoft.App LRO in `location` and returns its headers: Azure-AsyncOperation (+ Location when
 * `withLocation`, as PATCH and DELETE answer), Retry-After and x-ms-async-operation-timeout (recordings).
 * `result` is what the Location URL answers once the operation succeeded.
 */
export function startAppOperation(
  ctx: TwinContext,
  req: ArmRequest,
  kind: OperationKind,
  sub: string,
  location: string,
  options: Omit<StartOptions, 'path' | 'pollApiVersion'> & { withLocation?: boolean; result?: () => unknown },
): { op: Operation; headers: Record<string, string> } {
  const id = newOperationId();
  const base = `/subscriptions/${sub}/providers/${APP}/locations/${normalizeLocation(location)}`;
  const op = ctx.ops.start({ ...options, path: `${base}/${kind}OperationStatuses/${id}`, pollApiVersion: req.apiVersion });
  if (options.result) appState(ctx).results.set(id.toLowerCase(), options.result);
  const headers: Record<string, string> = {
    'Azure-AsyncOperation': ctx.ops.url(req, op, '&azureAsyncOperation=true'),
    ...ctx.ops.retryAfter(),
    'x-ms-async-operation-timeout': 'PT15M',
  };
  if (options.withLocation) headers.Location = `${req.baseUrl}${base}/${kind}OperationResults/${id}?api-version=${req.apiVersion}`;
  return { op, headers };
}

/** The status resources of both operation kinds (Azure-AsyncOperation) and their Location results. */
export function operationRoutes(ctx: TwinContext): Route[] {
  const result = (req: ArmRequest): ArmResponse => {
    const id = req.params.operationId!;
    const answer = ctx.ops.locationStatus(req, id);
    if (answer.status !== 200) return answer;
    const body = appState(ctx).results.get(id.toLowerCase())?.();
    return body === undefined ? { status: 204 } : { status: 200, body };
  };
  return [
    appRoute('GET', `${LOCATIONS}/containerappOperationStatuses/{operationId}`, 'ContainerAppsOperationStatuses_Get', (req) =>
      ctx.ops.asyncStatus(req.params.operationId!),
    ),
    appRoute('GET', `${LOCATIONS}/containerappOperationResults/{operationId}`, 'ContainerAppsOperationResults_Get', result),
    appRoute('GET', `${LOCATIONS}/managedEnvironmentOperationStatuses/{operationId}`, 'ManagedEnvironmentsOperationStatuses_Get', (req) =>
      ctx.ops.asyncStatus(req.params.operationId!),
    ),
    appRoute('GET', `${LOCATIONS}/managedEnvironmentOperationResults/{operationId}`, 'ManagedEnvironmentsOperationResults_Get', result),
  ];
}

/** "Invalid value" errors Azure answers for a container app's template/configuration (field reports). */
export function invalidTemplate(field: string, value: string, detail: string): ArmError {
  return new ArmError(
    400,
    'InvalidParameterValueInContainerTemplate',
    `The following field(s) are either invalid or missing. Field '${field}' is invalid with details: 'Invalid value: "${value}": ${detail}';.`,
  );
}
