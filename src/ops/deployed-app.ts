/** The balancer app `up` deployed, as ARM has it now, and its running replicas: what `logs` and `status` both read. */
import type { ArmContext } from '../azure/clients.js';
import { listReplicas, listRevisions, type ReplicaState } from '../azure/containerapp-logs.js';
import { getContainerApp } from '../azure/containerapps.js';
import { failedOn } from '../azure/errors.js';
import { UserError } from '../core/errors.js';

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

/** The balancer app `up` deployed in this environment (CONTAINER_APP_NAME), as ARM has it now. */
export async function deployedApp(
  arm: ArmContext,
  environment: { name: string; values: Record<string, string | undefined> },
  group: string,
): Promise<AppRef & { fqdn: string | undefined }> {
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
