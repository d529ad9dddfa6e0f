// What GET answers for container apps, revisions and replicas (shapes of the azd recording,
// ContainerApps_Get.json, Revisions_List.json and Replicas_List.json). Secret values never appear.
import { randomBytes } from 'node:crypto';
import { isObject, systemData } from '../arm.js';
import { appFqdn, appId, envId, revisionFqdn, streamBase, type ContainerApp, type ReplicaStatus, type Revision } from './app-state.js';
import { APP } from './containerapps-shared.js';

export function appView(app: ContainerApp): Record<string, unknown> {
  const { secrets, ingress, ...configuration } = app.configuration;
  const secretList = Array.isArray(secrets) && secrets.length ? secrets.filter(isObject).map(({ value: _hidden, ...rest }) => rest) : null;
  const stream = `${streamBase(app.location)}/subscriptions/${app.subscriptionId}/resourceGroups/${app.resourceGroup}/containerApps/${app.name}/eventstream`;
  const props: Record<string, unknown> = {
    provisioningState: app.provisioningState,
    runningStatus: app.runningStatus,
    managedEnvironmentId: envId(app.environment),
    environmentId: envId(app.environment),
    workloadProfileName: app.workloadProfileName ?? 'Consumption',
    outboundIpAddresses: app.outboundIpAddresses,
    latestRevisionName: app.latestRevisionName,
    latestReadyRevisionName: app.latestReadyRevisionName,
    latestRevisionFqdn: app.latestRevisionName && isObject(ingress) ? revisionFqdn(app, app.latestRevisionName) : '',
    customDomainVerificationId: app.customDomainVerificationId,
    configuration: {
      secrets: secretList,
      ...configuration,
      ...(isObject(ingress) ? { ingress: { fqdn: appFqdn(app), ...ingress } } : {}),
      registries: Array.isArray(configuration.registries)
        ? configuration.registries.filter(isObject).map((r) => ({ username: '', passwordSecretRef: '', identity: '', ...r }))
        : null,
      identitySettings: configuration.identitySettings ?? [],
    },
    template: app.template,
    eventStreamEndpoint: stream,
    delegatedIdentities: [],
  };
  return {
    id: appId(app).replace('/containerApps/', '/containerapps/'),
    name: app.name,
    type: `${APP}/containerApps`,
    location: app.location,
    ...(app.tags ? { tags: app.tags } : {}),
    systemData: { ...systemData(app.createdAt), lastModifiedAt: app.modifiedAt },
    properties: props,
    ...(app.identity ? { identity: app.identity } : {}),
  };
}

/** The revision's running and health state from its replicas' (when the twin runs them). */
function revisionState(r: Revision, known: Map<string, ReplicaStatus>): { runningState: string; healthState: string } {
  if (!r.active) return { runningState: r.runningState, healthState: 'None' };
  const statuses = r.replicas.map((name) => known.get(name.toLowerCase()));
  if (statuses.every((s) => s === undefined)) return { runningState: r.runningState, healthState: 'Healthy' };
  const ready = statuses.filter((s) => s && Object.values(s.containers).every((c) => c.ready)).length;
  const failed = statuses.filter(
    (s) => s && Object.values(s.containers).some((c) => !c.ready && c.runningState !== 'Running' && c.runningStateDetails !== 'ContainerCreating'),
  ).length;
  if (ready === statuses.length) return { runningState: 'Running', healthState: 'Healthy' };
  if (failed === statuses.length) return { runningState: 'Failed', healthState: 'Unhealthy' };
  if (failed > 0) return { runningState: 'Degraded', healthState: 'Unhealthy' };
  return { runningState: 'Processing', healthState: 'None' };
}

export function revisionView(app: ContainerApp, r: Revision, known: Map<string, ReplicaStatus> = new Map()): Record<string, unknown> {
  const ingress = isObject(app.configuration.ingress);
  const { runningState, healthState } = revisionState(r, known);
  return {
    id: `${appId(app)}/revisions/${r.name}`,
    name: r.name,
    type: `${APP}/containerApps/revisions`,
    properties: {
      createdTime: r.createdTime,
      lastActiveTime: r.lastActiveTime,
      fqdn: ingress ? revisionFqdn(app, r.name) : '',
      template: r.template,
      active: r.active,
      replicas: r.replicas.length,
      trafficWeight: r.trafficWeight,
      healthState,
      provisioningState: r.provisioningState,
      runningState,
    },
  };
}

export function replicaView(app: ContainerApp, r: Revision, replica: string, known: Map<string, ReplicaStatus> = new Map()): Record<string, unknown> {
  const status = known.get(replica.toLowerCase());
  const base = `${streamBase(app.location)}/subscriptions/${app.subscriptionId}/resourceGroups/${app.resourceGroup}/containerApps/${app.name}/revisions/${r.name}/replicas/${replica}`;
  const containers = Array.isArray(r.template.containers) ? r.template.containers.filter(isObject) : [];
  return {
    id: `${appId(app)}/revisions/${r.name}/replicas/${replica}`,
    name: replica,
    // Replicas_List.json's type, kept as the example has it.
    type: 'Microsoft.Web/containerapps/revisions/replicas',
    properties: {
      createdTime: r.createdTime,
      runningState: status?.runningState ?? 'Running',
      runningStateDetails: status?.runningStateDetails ?? '',
      containers: containers.map((c) => ({
        name: String(c.name),
        containerId: `containerd://${containerId(replica, String(c.name))}`,
        ...(status?.containers[String(c.name)] ?? { ready: true, started: true, restartCount: 0, runningState: 'Running', runningStateDetails: '' }),
        logStreamEndpoint: `${base}/containers/${String(c.name)}/logstream`,
        execEndpoint: `${base}/containers/${String(c.name)}/exec`,
      })),
      initContainers: [],
    },
  };
}

const ids = new Map<string, string>();
function containerId(replica: string, container: string): string {
  const k = `${replica}/${container}`;
  if (!ids.has(k)) ids.set(k, randomBytes(32).toString('hex'));
  return ids.get(k)!;
}
