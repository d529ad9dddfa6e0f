/**
 * Which log streams to read: every container of every running replica of the app's active revisions
 * (the latest revision when none is active), optionally one replica only.
 */
import type { ArmContext } from '../../azure/clients.js';
import type { LogStreamTarget } from '../../azure/containerapp-logs.js';
import { activeReplicas, type AppRef } from '../deployed-app.js';
import { replicaLabel } from '../../ui/log-lines.js';

export interface StreamTarget extends LogStreamTarget {
  /** revision/replica/container: one stream each. */
  key: string;
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
