// Microsoft.App container apps (@azure/arm-appcontainers 3.0.0, api 2025-07-01): PUT 201 InProgress +
// Azure-AsyncOperation (…/containerappOperationStatuses/{id}) + Retry-After, as recorded; PATCH 202 with an
// empty body + Azure-AsyncOperation + Location + Retry-After (azd recording); DELETE 202 the same way;
// GET/list, listSecrets, getAuthtoken, revisions and replicas. Also assembles every Log Analytics and
// Microsoft.App route (`appPlatformRoutes`) and removes these resources when their resource group goes.
import { randomBytes } from 'node:crypto';
import { ArmError, isObject, key, ok, requireBody, resourceNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { appState, identityView, newStaticIp, type ContainerApp } from './app-state.js';
import { checkAppName, deleteApp, mergeSecrets, normalizeSpec, requireApp, resolveEnvironment, reviseIfNeeded, snapshot } from './containerapps-core.js';
import { dropEnvironment, environmentRoutes } from './containerapps-env.js';
import { APP, APP_PATH, RG_PATH, appRoute, groupForWrite, operationRoutes, startAppOperation } from './containerapps-shared.js';
import { appView, replicaView, revisionView } from './containerapps-views.js';
import { dropWorkspaces, logAnalyticsRoutes } from './loganalytics.js';

type Obj = Record<string, unknown>;
const READ_ONLY = [
  'provisioningState',
  'runningStatus',
  'latestRevisionName',
  'latestReadyRevisionName',
  'latestRevisionFqdn',
  'outboundIpAddresses',
  'customDomainVerificationId',
  'eventStreamEndpoint',
  'delegatedIdentities',
];

/** Every Log Analytics and Microsoft.App route, plus the resource-group cascade. */
export function appPlatformRoutes(ctx: TwinContext): Route[] {
  ctx.events.on('resourceGroupDeleted', (group: { subscriptionId: string; name: string }) => {
    const store = appState(ctx);
    for (const app of store.inGroup(store.apps, group.subscriptionId, group.name)) deleteApp(ctx, app);
    for (const env of store.inGroup(store.environments, group.subscriptionId, group.name)) dropEnvironment(ctx, env);
    dropWorkspaces(ctx, group.subscriptionId, group.name);
  });
  return [...logAnalyticsRoutes(ctx), ...environmentRoutes(ctx), ...containerAppRoutes(ctx), ...operationRoutes(ctx)];
}

/** RFC 7396 merge (arrays replace, null removes), as Azure applies a container app PATCH. */
function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergePatch(out[k] as Obj, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

export function containerAppRoutes(ctx: TwinContext): Route[] {
  const store = appState(ctx);
  const { state } = ctx;
  const running = (app: ContainerApp) => (['Succeeded', 'Failed', 'Canceled'].includes(app.provisioningState) ? {} : ctx.ops.retryAfter());

  /** Validates and applies a desired state, then runs the LRO that makes the revision. */
  const apply = (req: ArmRequest, app: ContainerApp, props: Obj, operationId: string) => {
    if (app.provisioningState === 'InProgress' || app.provisioningState === 'Deleting') {
      throw new ArmError(
        409,
        'ContainerAppOperationInProgress',
        `Cannot modify a container app '${app.name}' because there's an operation in progress. Please wait for the operation to complete and try again.`,
      );
    }
    const configuration = isObject(props.configuration) ? structuredClone(props.configuration) : {};
    const template = isObject(props.template) ? structuredClone(props.template) : {};
    configuration.secrets = mergeSecrets(configuration.secrets, Array.isArray(app.configuration.secrets) ? app.configuration.secrets.filter(isObject) : []);
    if (isObject(configuration.ingress)) delete configuration.ingress.fqdn;
    normalizeSpec(configuration, template, app.identity);
    app.configuration = configuration;
    app.template = template;
    if (typeof props.workloadProfileName === 'string') app.workloadProfileName = props.workloadProfileName;
    app.provisioningState = 'InProgress';
    app.runningStatus = 'Progressing';
    app.modifiedAt = new Date().toISOString();
    return startAppOperation(ctx, req, 'containerapp', app.subscriptionId, app.location, {
      operationId,
      withLocation: req.method !== 'PUT',
      complete: () => {
        reviseIfNeeded(app);
        app.provisioningState = 'Succeeded';
        app.runningStatus = 'Running';
        ctx.events.emit('containerAppChanged', snapshot(app));
      },
      fail: () => {
        app.provisioningState = 'Failed';
        app.runningStatus = 'Stopped';
      },
      result: () => (store.app(app.subscriptionId, app.resourceGroup, app.name) ? appView(app) : undefined),
    });
  };

  const put = (req: ArmRequest) => {
    const sub = req.params.subscriptionId!;
    const rg = req.params.resourceGroupName!;
    const name = req.params.containerAppName!;
    const group = groupForWrite(ctx, sub, rg);
    const body = requireBody(req);
    if (typeof body.location !== 'string' || !body.location)
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const props = isObject(body.properties) ? body.properties : {};
    const existing = store.app(sub, rg, name);
    if (!existing) checkAppName(name);
    const environment = resolveEnvironment(ctx, sub, props);
    const now = new Date().toISOString();
    const app: ContainerApp = existing ?? {
      subscriptionId: state.requireSubscription(sub).subscriptionId,
      resourceGroup: group.name,
      name,
      location: body.location,
      environment,
      configuration: {},
      template: {},
      provisioningState: 'Accepted',
      runningStatus: 'Progressing',
      revisions: [],
      latestRevisionName: '',
      latestReadyRevisionName: '',
      customDomainVerificationId: randomBytes(32).toString('hex').toUpperCase(),
      outboundIpAddresses: [newStaticIp()],
      createdAt: now,
      modifiedAt: now,
    };
    const previous = { configuration: app.configuration, template: app.template, identity: app.identity, environment: app.environment };
    app.identity = isObject(body.identity) ? identityView(body.identity, ctx.tenantId, app.identity, store.identityIds) : undefined;
    app.environment = environment;
    if (isObject(body.tags)) app.tags = body.tags as Record<string, string>;
    let started;
    try {
      started = apply(req, app, props, 'ContainerApps_CreateOrUpdate');
    } catch (error) {
      Object.assign(app, previous);
      throw error;
    }
    store.apps.set(key(sub, rg, name), app);
    return ok(appView(app), existing ? 200 : 201, started.headers);
  };

  const patch = (req: ArmRequest) => {
    const app = requireApp(ctx, req);
    const body = requireBody(req);
    const sent = isObject(body.properties) ? { ...body.properties } : {};
    for (const k of READ_ONLY) delete sent[k];
    if (isObject(sent.configuration) && sent.configuration.secrets === null) delete sent.configuration.secrets;
    const desired = mergePatch({ configuration: app.configuration, template: app.template, workloadProfileName: app.workloadProfileName }, sent);
    const previous = { configuration: app.configuration, template: app.template, identity: app.identity, environment: app.environment, tags: app.tags };
    try {
      if (sent.managedEnvironmentId !== undefined || sent.environmentId !== undefined) app.environment = resolveEnvironment(ctx, app.subscriptionId, sent);
      if (isObject(body.identity)) app.identity = identityView(body.identity, ctx.tenantId, app.identity, store.identityIds);
      if (isObject(body.tags)) app.tags = body.tags as Record<string, string>;
      const { headers } = apply(req, app, desired, 'ContainerApps_Update');
      return { status: 202, headers };
    } catch (error) {
      Object.assign(app, previous);
      throw error;
    }
  };

  const revision = (req: ArmRequest, app: ContainerApp) => {
    const r = app.revisions.find((x) => x.name.toLowerCase() === req.params.revisionName!.toLowerCase());
    if (!r) throw resourceNotFound(`${APP}/containerApps/${app.name}/revisions/${req.params.revisionName!}`, app.resourceGroup);
    return r;
  };

  return [
    appRoute('PUT', APP_PATH, 'ContainerApps_CreateOrUpdate', put),
    appRoute('PATCH', APP_PATH, 'ContainerApps_Update', patch),
    appRoute('GET', APP_PATH, 'ContainerApps_Get', (req) => {
      const app = requireApp(ctx, req);
      return ok(appView(app), 200, running(app));
    }),
    appRoute('GET', `${RG_PATH}/providers/${APP}/containerApps`, 'ContainerApps_ListByResourceGroup', (req) => {
      state.requireGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      return ok({ value: store.inGroup(store.apps, req.params.subscriptionId!, req.params.resourceGroupName!).map(appView) });
    }),
    appRoute('DELETE', APP_PATH, 'ContainerApps_Delete', (req) => {
      state.requireGroup(req.params.subscriptionId!, req.params.resourceGroupName!);
      const app = store.app(req.params.subscriptionId!, req.params.resourceGroupName!, req.params.containerAppName!);
      if (!app) return { status: 204 };
      app.provisioningState = 'Deleting';
      const { headers } = startAppOperation(ctx, req, 'containerapp', app.subscriptionId, app.location, {
        operationId: 'ContainerApps_Delete',
        withLocation: true,
        complete: () => deleteApp(ctx, app),
        fail: () => (app.provisioningState = 'Failed'),
      });
      return { status: 202, headers };
    }),
    appRoute('POST', `${APP_PATH}/listSecrets`, 'ContainerApps_ListSecrets', (req) => {
      const app = requireApp(ctx, req);
      const secrets = Array.isArray(app.configuration.secrets) ? app.configuration.secrets.filter(isObject) : [];
      return ok({ value: secrets.map((s) => ({ ...s })) });
    }),
    appRoute('POST', `${APP_PATH}/getAuthtoken`, 'ContainerApps_GetAuthToken', (req) => {
      const app = requireApp(ctx, req);
      const expires = new Date(Date.now() + 6 * 3600e3).toISOString();
      const token = randomBytes(48).toString('base64url');
      store.authTokens.set(token, { app, expires });
      return ok({
        id: `/subscriptions/${app.subscriptionId}/resourceGroups/${app.resourceGroup}/providers/${APP}/containerApps/${app.name}`,
        name: app.name,
        type: `${APP}/containerApps/accesstoken`,
        location: app.location,
        properties: { token, expires },
      });
    }),
    appRoute('GET', `${APP_PATH}/revisions`, 'ContainerAppsRevisions_ListRevisions', (req) => {
      const app = requireApp(ctx, req);
      return ok({ value: app.revisions.map((r) => revisionView(app, r, store.replicaStatus)), nextLink: null });
    }),
    appRoute('GET', `${APP_PATH}/revisions/{revisionName}`, 'ContainerAppsRevisions_GetRevision', (req) => {
      const app = requireApp(ctx, req);
      return ok(revisionView(app, revision(req, app), store.replicaStatus));
    }),
    appRoute('GET', `${APP_PATH}/revisions/{revisionName}/replicas`, 'ContainerAppsRevisionReplicas_ListReplicas', (req) => {
      const app = requireApp(ctx, req);
      const r = revision(req, app);
      return ok({ value: r.replicas.map((name) => replicaView(app, r, name, store.replicaStatus)) });
    }),
    appRoute('GET', `${APP_PATH}/revisions/{revisionName}/replicas/{replicaName}`, 'ContainerAppsRevisionReplicas_GetReplica', (req) => {
      const app = requireApp(ctx, req);
      const r = revision(req, app);
      const replica = r.replicas.find((x) => x.toLowerCase() === req.params.replicaName!.toLowerCase());
      if (!replica) throw resourceNotFound(`${APP}/containerApps/${app.name}/revisions/${r.name}/replicas/${req.params.replicaName!}`, app.resourceGroup);
      return ok(replicaView(app, r, replica, store.replicaStatus));
    }),
  ];
}
