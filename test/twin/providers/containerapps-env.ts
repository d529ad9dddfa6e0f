// Microsoft.App managed environments: PUT 201 `provisioningState: Waiting` + Azure-AsyncOperation
// (…/managedEnvironmentOperationStatuses/{id}) + Retry-After, polls InProgress → Succeeded, as in
// recording_managedenvironments_create_test.json. appLogsConfiguration.logAnalyticsConfiguration must name
// a workspace of the subscription by customerId, with one of its shared keys; otherwise the operation ends
// Failed (the key is only checked asynchronously, like Azure). GET never returns the shared key.
import { randomBytes } from 'node:crypto';
import { ArmError, isObject, key, ok, requireBody, resourceNotFound, systemData, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { appState, envId, identityView, newDefaultDomain, newStaticIp, streamBase, type ManagedEnvironment } from './app-state.js';
import { APP, ENV_PATH, RG_PATH, appRoute, groupForWrite, startAppOperation } from './containerapps-shared.js';
import { deleteApp } from './containerapps-core.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Field-report wording (Azure/bicep#8590); the twin uses it for a missing, unknown or wrongly keyed workspace. */
const INVALID_LOG_ANALYTICS = 'LogAnalyticsConfiguration is invalid.  Must provide a valid LogAnalyticsConfiguration';

export function environmentView(ctx: TwinContext, e: ManagedEnvironment): Record<string, unknown> {
  const props = { ...e.properties };
  const logs = isObject(props.appLogsConfiguration) ? { ...props.appLogsConfiguration } : undefined;
  if (logs && isObject(logs.logAnalyticsConfiguration)) {
    const { sharedKey: _hidden, ...shown } = logs.logAnalyticsConfiguration;
    logs.logAnalyticsConfiguration = shown;
  }
  return {
    id: envId(e),
    name: e.name,
    type: `${APP}/managedEnvironments`,
    location: e.location,
    ...(e.tags ? { tags: e.tags } : {}),
    systemData: systemData(e.createdAt),
    ...(e.identity ? { identity: e.identity } : {}),
    properties: {
      ...props,
      provisioningState: e.provisioningState,
      deploymentErrors: null,
      defaultDomain: e.defaultDomain,
      staticIp: e.staticIp,
      ...(logs ? { appLogsConfiguration: logs } : {}),
      zoneRedundant: props.zoneRedundant ?? false,
      customDomainConfiguration: {
        ...(isObject(props.customDomainConfiguration) ? props.customDomainConfiguration : {}),
        customDomainVerificationId: e.customDomainVerificationId,
      },
      eventStreamEndpoint: `${streamBase(e.location)}${envId(e).replace(`/providers/${APP}`, '')}/eventstream`,
      infrastructureResourceGroup: `ME_${e.name}_${e.resourceGroup}_${e.location.replace(/\s+/g, '').toLowerCase()}`,
      ...(Array.isArray(props.workloadProfiles) ? {} : { workloadProfiles: [{ workloadProfileType: 'Consumption', name: 'Consumption' }] }),
    },
  };
}

/** Synchronous validation of appLogsConfiguration (what Azure rejects at PUT). */
function checkLogsConfiguration(props: Record<string, unknown>): void {
  const logs = props.appLogsConfiguration;
  if (!isObject(logs)) return;
  const destination = logs.destination;
  const la = logs.logAnalyticsConfiguration;
  if (destination === 'log-analytics' && !isObject(la)) throw new ArmError(400, 'InvalidRequestParameterWithDetails', INVALID_LOG_ANALYTICS);
  if (!isObject(la)) return;
  if (typeof la.customerId !== 'string' || !GUID.test(la.customerId)) {
    throw new ArmError(
      400,
      'InvalidRequestParameterWithDetails',
      'LogAnalyticsConfiguration.CustomerId is invalid.  CustomerId must be a GUID without additional whiteSpace',
    );
  }
  if (typeof la.sharedKey !== 'string' || !la.sharedKey) throw new ArmError(400, 'InvalidRequestParameterWithDetails', INVALID_LOG_ANALYTICS);
}

export function environmentRoutes(ctx: TwinContext): Route[] {
  const store = appState(ctx);
  const { state } = ctx;
  const params = (req: ArmRequest) => ({ sub: req.params.subscriptionId!, rg: req.params.resourceGroupName!, name: req.params.environmentName! });
  const requireEnvironment = (req: ArmRequest): ManagedEnvironment => {
    const { sub, rg, name } = params(req);
    state.requireGroup(sub, rg);
    const env = store.environment(sub, rg, name);
    if (!env) throw resourceNotFound(`${APP}/managedEnvironments/${name}`, rg);
    return env;
  };
  const running = (e: ManagedEnvironment) => (['Succeeded', 'Failed', 'Canceled'].includes(e.provisioningState) ? {} : ctx.ops.retryAfter());

  const put = (req: ArmRequest) => {
    const { sub, rg, name } = params(req);
    const group = groupForWrite(ctx, sub, rg);
    const body = requireBody(req);
    if (typeof body.location !== 'string' || !body.location)
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const props = isObject(body.properties) ? { ...body.properties } : {};
    for (const readOnly of ['provisioningState', 'defaultDomain', 'staticIp', 'eventStreamEndpoint', 'deploymentErrors']) delete props[readOnly];
    checkLogsConfiguration(props);
    const now = new Date().toISOString();
    const existing = store.environment(sub, rg, name);
    const env: ManagedEnvironment = existing ?? {
      subscriptionId: state.requireSubscription(sub).subscriptionId,
      resourceGroup: group.name,
      name,
      location: body.location,
      properties: {},
      provisioningState: 'Waiting',
      defaultDomain: newDefaultDomain(body.location),
      staticIp: newStaticIp(),
      customDomainVerificationId: randomBytes(32).toString('hex').toUpperCase(),
      createdAt: now,
      modifiedAt: now,
    };
    env.properties = props;
    if (isObject(body.tags)) env.tags = body.tags as Record<string, string>;
    if (isObject(body.identity)) env.identity = identityView(body.identity, ctx.tenantId, env.identity, store.identityIds);
    env.modifiedAt = now;
    env.provisioningState = existing ? 'Updating' : 'Waiting';
    store.environments.set(key(sub, rg, name), env);
    const { headers } = startAppOperation(ctx, req, 'managedEnvironment', env.subscriptionId, env.location, {
      operationId: 'ManagedEnvironments_CreateOrUpdate',
      complete: () => {
        const la = isObject(env.properties.appLogsConfiguration) ? env.properties.appLogsConfiguration.logAnalyticsConfiguration : undefined;
        if (isObject(la)) {
          const ws = store.workspaceByCustomerId(env.subscriptionId, String(la.customerId));
          if (!ws || ![ws.primarySharedKey, ws.secondarySharedKey].includes(String(la.sharedKey))) {
            throw new ArmError(400, 'InvalidRequestParameterWithDetails', INVALID_LOG_ANALYTICS);
          }
        }
        env.provisioningState = 'Succeeded';
      },
      fail: () => (env.provisioningState = 'Failed'),
    });
    return ok(environmentView(ctx, env), existing ? 200 : 201, headers);
  };

  return [
    appRoute('PUT', ENV_PATH, 'ManagedEnvironments_CreateOrUpdate', put),
    appRoute('GET', ENV_PATH, 'ManagedEnvironments_Get', (req) => {
      const env = requireEnvironment(req);
      return ok(environmentView(ctx, env), 200, running(env));
    }),
    appRoute('GET', `${RG_PATH}/providers/${APP}/managedEnvironments`, 'ManagedEnvironments_ListByResourceGroup', (req) => {
      state.requireGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      return ok({ value: store.inGroup(store.environments, req.params.subscriptionId!, req.params.resourceGroupName!).map((e) => environmentView(ctx, e)) });
    }),
    appRoute('POST', `${ENV_PATH}/getAuthtoken`, 'ManagedEnvironments_GetAuthToken', (req) => {
      // EnvironmentAuthToken: tracked-resource fields + properties {token, expires}, as the app's (ContainerApps_GetAuthToken.json).
      const env = requireEnvironment(req);
      const expires = new Date(Date.now() + 6 * 3600e3).toISOString();
      const token = randomBytes(48).toString('base64url');
      store.envAuthTokens.set(token, { environment: env, expires });
      return ok({
        id: envId(env),
        name: env.name,
        type: `${APP}/managedEnvironments/accesstoken`,
        location: env.location,
        properties: { token, expires },
      });
    }),
    appRoute('DELETE', ENV_PATH, 'ManagedEnvironments_Delete', (req) => {
      const { sub, rg, name } = params(req);
      state.requireGroup(sub, rg);
      const env = store.environment(sub, rg, name);
      if (!env) return { status: 204 };
      env.provisioningState = 'ScheduledForDelete';
      const { headers } = startAppOperation(ctx, req, 'managedEnvironment', env.subscriptionId, env.location, {
        operationId: 'ManagedEnvironments_Delete',
        withLocation: true,
        complete: () => dropEnvironment(ctx, env),
        fail: () => (env.provisioningState = 'Succeeded'),
      });
      return { status: 202, headers };
    }),
  ];
}

/** Removes an environment and the apps in it. */
export function dropEnvironment(ctx: TwinContext, env: ManagedEnvironment): void {
  const store = appState(ctx);
  for (const app of [...store.apps.values()].filter((a) => a.environment === env)) deleteApp(ctx, app);
  store.environments.delete(key(env.subscriptionId, env.resourceGroup, env.name));
  for (const [token, t] of store.envAuthTokens) if (t.environment === env) store.envAuthTokens.delete(token);
}
