/**
 * Which log streams to read: every container of every running replica of the app's active revisions
 * (the latest revision when none is active), optionally one replica only.
 */
import type { ArmContext } from '../azure/clients.js';
import { getContainerApp } from '../azure/containerapps.js';
import { failedOn } from '../azure/errors.js';
import { UserError } from '../core/errors.js';
import { listReplicas, listRevisions, type LogStreamTarget, type ReplicaState } from '../azure/containerapp-logs.js';
import { replicaLabel } from '../ui/log-lines.js';

export interface StreamTarget extends LogStreamTarget {
  /** revision/replica/container: one stream each. */
  key: string;
}

export interface AppRef {
  subscriptionId: string;
  group: string;
  name: string;
  eventStreamEndpoint: string;
  latestRevisionName: string | undefined;
  /** The template's first container, for a replica that lists none. */
  containerName: string | undefined;
}

/** The replicas of the active revisions (of the latest one when none is active). */
export async function activeReplicas(arm: ArmContext, group: string, app: string, latestRevisionName: string | undefined): Promise<ReplicaState[]> {
  const revisions = await listRevisions(arm, group, app);
  let chosen = revisions.filter((revision) => revision.active).map((revision) => revision.name);
  if (chosen.length === 0 && latestRevisionName) chosen = [latestRevisionName];
  return (await Promise.all(chosen.map((revision) => listReplicas(arm, group, app, revision)))).flat();
}

export async function runningTargets(arm: ArmContext, app: AppRef): Promise<StreamTarget[]> {
  const replicas = await activeReplicas(arm, app.group, app.name, app.latestRevisionName);
  const targets: StreamTarget[] = [];
  for (const replica of replicas) {
    if (replica.runningState === 'NotRunning') continue;
    const containers = replica.containers.length > 0 ? replica.containers.map((c) => c.name) : app.containerName ? [app.containerName] : [];
    for (const container of containers) {
      targets.push({
        key: `${replica.revision}/${replica.name}/${container}`,
        eventStreamEndpoint: app.eventStreamEndpoint,
        subscriptionId: app.subscriptionId,
        group: app.group,
        app: app.name,
        revision: replica.revision,
        replica: replica.name,
        container,
      });
    }
  }
  return targets;
}

/** --replica takes the full name or the short one `logs` prints. */
export function matchesReplica(target: StreamTarget, wanted: string | undefined): boolean {
  if (wanted === undefined) return true;
  const name = wanted.toLowerCase();
  return target.replica.toLowerCase() === name || replicaLabel(target.replica).toLowerCase() === name;
}

/** What to open and what to close so that the open streams are exactly `wanted`. */
export function reconcile(open: Iterable<string>, wanted: StreamTarget[]): { start: StreamTarget[]; stop: string[] } {
  const openKeys = new Set(open);
  const wantedKeys = new Set(wanted.map((target) => target.key));
  return {
    start: wanted.filter((target) => !openKeys.has(target.key)),
    stop: [...openKeys].filter((key) => !wantedKeys.has(key)),
  };
}

/** The balancer app `up` deployed in this environment (CONTAINER_APP_NAME), as ARM has it now. */
export async function deployedApp(arm: ArmContext, environment: { name: string; values: Record<string, string | undefined> }, group: string): Promise<AppRef & { fqdn: string | undefined }> {
  const name = environment.values.CONTAINER_APP_NAME;
  if (!name) {
    throw new UserError('env-not-deployed', `environment "${environment.name}" has no CONTAINER_APP_NAME: \`up\` has not finished for it.`, {
      suggestion: `run \`aoai-lb up --env ${environment.name}\``,
    });
  }
  let app;
  try {
    app = await getContainerApp(arm, group, name);
  } catch (error) {
    throw failedOn(error, { resource: `reading container app ${name} in ${group}`, environment: environment.name });
  }
  if (!app) {
    throw new UserError('app-not-found', `the container app ${name} does not exist in resource group ${group}.`, {
      suggestion: `run \`aoai-lb up --env ${environment.name}\` to deploy it again`,
    });
  }
  return {
    subscriptionId: arm.subscriptionId,
    group,
    name,
    eventStreamEndpoint: app.eventStreamEndpoint ?? '',
    latestRevisionName: app.latestRevisionName,
    containerName: app.containerName,
    fqdn: app.fqdn,
  };
}
