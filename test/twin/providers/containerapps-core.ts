// A container app's model: the validation Azure does at PUT/PATCH (environment, secrets, secretRefs,
// registries), the defaults it fills in, revisions made on each template change, and the
// containerAppChanged / containerAppDeleted events for whoever runs the app locally.
import { ArmError, isObject, key, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import {
  appFqdn,
  appId,
  appState,
  envId,
  newReplicaName,
  newRevisionSuffix,
  templateHash,
  type ContainerApp,
  type ContainerAppSnapshot,
  type ManagedEnvironment,
} from './app-state.js';
import { APP, invalidTemplate } from './containerapps-shared.js';

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);
const ENV_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/managedEnvironments\/([^/]+)$/i;
const APP_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;

/** ContainerAppInvalidName (wording from field reports). */
export function checkAppName(name: string): void {
  if (!APP_NAME.test(name) || name.includes('--')) {
    throw new ArmError(
      400,
      'ContainerAppInvalidName',
      `Invalid ContainerApp name '${name}'. A name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character and cannot have '--'. The length must not be more than 32 characters.`,
    );
  }
}

/** The environment an app names (managedEnvironmentId or environmentId), which must exist in the subscription. */
export function resolveEnvironment(ctx: TwinContext, sub: string, props: Obj): ManagedEnvironment {
  const id = props.managedEnvironmentId ?? props.environmentId;
  if (typeof id !== 'string' || !id) {
    throw new ArmError(400, 'InvalidRequestParameterWithDetails', 'ManagedEnvironmentId is invalid.  Must provide a valid ManagedEnvironmentId');
  }
  const m = ENV_ID.exec(id);
  const env = m && m[1]!.toLowerCase() === sub.toLowerCase() ? appState(ctx).environment(m[1]!, m[2]!, m[3]!) : undefined;
  if (!env) throw new ArmError(404, 'ManagedEnvironmentNotFound', `The environment '${id}' could not be found.`);
  if (env.provisioningState !== 'Succeeded') {
    throw new ArmError(
      409,
      'ManagedEnvironmentNotReadyForAppCreation',
      `The environment '${env.name}' is not ready for app creation: its provisioning state is '${env.provisioningState}'.`,
    );
  }
  return env;
}

/** Secrets as Azure keeps them. On PATCH a secret sent without value keeps its previous value. */
export function mergeSecrets(sent: unknown, previous: Obj[] = []): Obj[] {
  const out: Obj[] = [];
  const invalid: string[] = [];
  for (const s of arr(sent)) {
    const old = previous.find((p) => String(p.name) === String(s.name));
    const merged = { ...(s.value === undefined && s.keyVaultUrl === undefined && old ? old : {}), ...s };
    if (merged.value === undefined && (merged.keyVaultUrl === undefined || merged.identity === undefined)) invalid.push(String(s.name ?? ''));
    if (merged.value === null || merged.value === undefined) delete merged.value;
    out.push(merged);
  }
  if (invalid.length) {
    throw new ArmError(
      400,
      'ContainerAppSecretInvalid',
      `Invalid Request: Container app secret(s) with name(s) '${invalid.join(', ')}' are invalid: value or keyVaultUrl and identity should be provided.`,
    );
  }
  return out;
}

/** Fills the defaults Azure returns and checks containers, secretRefs, registries and ACR images. */
export function normalizeSpec(configuration: Obj, template: Obj, identity: Obj | undefined): void {
  configuration.activeRevisionsMode ??= 'Single';
  configuration.maxInactiveRevisions ??= 100;
  const secrets = arr(configuration.secrets);
  const secretNames = new Set(secrets.map((s) => String(s.name)));
  const containers = arr(template.containers);
  if (containers.length === 0) {
    throw new ArmError(
      400,
      'InvalidParameterValueInContainerTemplate',
      "The following field(s) are either invalid or missing. Field 'template.containers' is invalid with details: 'Invalid value: \"\": at least one container is required';.",
    );
  }
  const registries = arr(configuration.registries);
  const userIds = isObject(identity?.userAssignedIdentities) ? Object.keys(identity.userAssignedIdentities).map((k) => k.toLowerCase()) : [];
  const systemAssigned = String(identity?.type ?? '')
    .toLowerCase()
    .includes('systemassigned');
  for (const r of registries) {
    const server = String(r.server ?? '');
    if (typeof r.identity === 'string' && r.identity) {
      const ok = r.identity.toLowerCase() === 'system' ? systemAssigned : userIds.includes(r.identity.toLowerCase());
      if (!ok) invalidRegistry(server, `identity '${r.identity}' is not assigned to the container app`);
    } else if (!r.username || !r.passwordSecretRef) {
      invalidRegistry(server, 'either identity or username and passwordSecretRef must be provided');
    } else if (!secretNames.has(String(r.passwordSecretRef))) {
      invalidRegistry(server, `passwordSecretRef '${String(r.passwordSecretRef)}' not found in configuration.secrets`);
    }
  }
  for (const c of containers) {
    const name = String(c.name ?? '');
    const image = String(c.image ?? '');
    if (!name || !image) throw invalidTemplate(`template.containers.${name}`, image, 'name and image are required');
    for (const e of arr(c.env)) {
      if (typeof e.secretRef === 'string' && !secretNames.has(e.secretRef)) {
        throw invalidTemplate(`template.containers.${name}.env`, e.secretRef, `SecretRef '${e.secretRef}' defined for container '${name}' not found.`);
      }
    }
    const server = image.split('/')[0]!.toLowerCase();
    if (server.endsWith('.azurecr.io') && !registries.some((r) => String(r.server ?? '').toLowerCase() === server)) {
      const repo = image.slice(server.length + 1).split(/[:@]/)[0];
      throw invalidTemplate(
        `template.containers.${name}.image`,
        image,
        `GET https:?scope=repository%3A${repo}%3Apull&service=${server}: UNAUTHORIZED: authentication required, visit https://aka.ms/acr/authorization for more information.`,
      );
    }
    c.resources = { cpu: 0.5, memory: '1Gi', ephemeralStorage: '2Gi', ...(isObject(c.resources) ? c.resources : {}) };
  }
  template.revisionSuffix ??= '';
  template.scale = { minReplicas: 0, maxReplicas: 10, cooldownPeriod: 300, pollingInterval: 30, ...(isObject(template.scale) ? template.scale : {}) };
  if (isObject(configuration.ingress)) {
    configuration.ingress = {
      external: false,
      transport: 'Auto',
      allowInsecure: false,
      exposedPort: 0,
      traffic: [{ weight: 100, latestRevision: true }],
      ...configuration.ingress,
    };
  }
}

function invalidRegistry(server: string, detail: string): never {
  throw invalidTemplate('configuration.registries', server, detail);
}

/** Makes a new revision when the template changed (or none exists); Single mode deactivates the others. */
export function reviseIfNeeded(app: ContainerApp): boolean {
  const latest = app.revisions.at(-1);
  const wanted = JSON.stringify(app.template);
  if (latest && JSON.stringify(latest.template) === wanted) return false;
  const now = new Date().toISOString();
  let suffix = typeof app.template.revisionSuffix === 'string' && app.template.revisionSuffix ? app.template.revisionSuffix : newRevisionSuffix();
  if (app.revisions.some((r) => r.name === `${app.name}--${suffix}`)) suffix = newRevisionSuffix();
  const name = `${app.name}--${suffix}`;
  const scale = isObject(app.template.scale) ? app.template.scale : {};
  const count = Math.max(1, Math.min(Number(scale.minReplicas ?? 0), Number(scale.maxReplicas ?? 10)));
  const hash = templateHash();
  if (app.configuration.activeRevisionsMode !== 'Multiple') {
    for (const r of app.revisions) Object.assign(r, { active: false, trafficWeight: 0, replicas: [], runningState: 'Stopped' });
  }
  app.revisions.push({
    name,
    createdTime: now,
    lastActiveTime: now,
    template: structuredClone(app.template),
    active: true,
    trafficWeight: 100,
    provisioningState: 'Provisioned',
    runningState: 'Running',
    replicas: Array.from({ length: count }, () => newReplicaName(name, hash)),
  });
  app.latestRevisionName = name;
  app.latestReadyRevisionName = name;
  return true;
}

export function snapshot(app: ContainerApp): ContainerAppSnapshot {
  const secrets: Record<string, string> = {};
  for (const s of arr(app.configuration.secrets)) if (typeof s.value === 'string') secrets[String(s.name)] = s.value;
  const ingress = isObject(app.configuration.ingress) ? app.configuration.ingress : undefined;
  const scale = isObject(app.template.scale) ? app.template.scale : {};
  return {
    id: appId(app),
    subscriptionId: app.subscriptionId,
    resourceGroup: app.resourceGroup,
    name: app.name,
    location: app.location,
    fqdn: ingress ? appFqdn(app) : undefined,
    environment: { id: envId(app.environment), name: app.environment.name, defaultDomain: app.environment.defaultDomain },
    latestRevisionName: app.latestRevisionName,
    revisions: app.revisions.map((r) => ({ name: r.name, active: r.active, replicas: [...r.replicas] })),
    containers: arr(app.template.containers).map((c) => {
      const env = arr(c.env).map((e) => ({
        name: String(e.name),
        ...(e.value !== undefined ? { value: String(e.value) } : {}),
        ...(typeof e.secretRef === 'string' ? { secretRef: e.secretRef } : {}),
      }));
      return {
        name: String(c.name),
        image: String(c.image),
        env,
        resolvedEnv: Object.fromEntries(env.map((e) => [e.name, e.secretRef !== undefined ? (secrets[e.secretRef] ?? '') : (e.value ?? '')])),
        resources: c.resources,
        probes: c.probes,
        ...(Array.isArray(c.command) ? { command: c.command.map(String) } : {}),
        ...(Array.isArray(c.args) ? { args: c.args.map(String) } : {}),
      };
    }),
    secrets,
    ingress: ingress
      ? {
          external: Boolean(ingress.external),
          targetPort: ingress.targetPort as number | undefined,
          transport: String(ingress.transport),
          traffic: ingress.traffic,
        }
      : undefined,
    scale: { minReplicas: Number(scale.minReplicas ?? 0), maxReplicas: Number(scale.maxReplicas ?? 10), rules: scale.rules },
    identity: app.identity,
  };
}

/** Removes the app (and its auth tokens) and tells the data plane. */
export function deleteApp(ctx: TwinContext, app: ContainerApp): void {
  const store = appState(ctx);
  store.apps.delete(key(app.subscriptionId, app.resourceGroup, app.name));
  for (const [token, t] of store.authTokens) if (t.app === app) store.authTokens.delete(token);
  ctx.events.emit('containerAppDeleted', snapshot(app));
}

export function requireApp(ctx: TwinContext, req: ArmRequest): ContainerApp {
  const sub = req.params.subscriptionId!;
  const rg = req.params.resourceGroupName!;
  const name = req.params.containerAppName!;
  ctx.state.requireGroup(sub, rg);
  const app = appState(ctx).app(sub, rg, name);
  if (!app)
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${APP}/containerApps/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  return app;
}
