/** Container Apps: the managed environment and the balancer app, its secrets, revisions and log stream token. */
import type { ContainerApp } from '@azure/arm-appcontainers';
import { containerAppsClient, type ArmContext } from './clients.js';
import { ifExists } from './errors.js';

export interface EnvironmentState {
  id: string;
  provisioningState: string | undefined;
  customerId: string | undefined;
}

export async function getManagedEnvironment(context: ArmContext, group: string, name: string): Promise<EnvironmentState | undefined> {
  const client = await containerAppsClient(context);
  return ifExists(async () => {
    const environment = await client.managedEnvironments.get(group, name);
    return {
      id: environment.id ?? '',
      provisioningState: environment.provisioningState,
      customerId: environment.appLogsConfiguration?.logAnalyticsConfiguration?.customerId,
    };
  });
}

export async function putManagedEnvironment(
  context: ArmContext,
  group: string,
  name: string,
  spec: { location: string; tags: Record<string, string>; customerId: string; sharedKey: string },
): Promise<EnvironmentState> {
  const client = await containerAppsClient(context);
  const environment = await client.managedEnvironments.beginCreateOrUpdateAndWait(group, name, {
    location: spec.location,
    tags: spec.tags,
    appLogsConfiguration: { destination: 'log-analytics', logAnalyticsConfiguration: { customerId: spec.customerId, sharedKey: spec.sharedKey } },
  });
  return { id: environment.id ?? '', provisioningState: environment.provisioningState, customerId: spec.customerId };
}

export interface AppState {
  id: string;
  provisioningState: string | undefined;
  fqdn: string | undefined;
  tags: Record<string, string>;
  latestRevisionName: string | undefined;
  eventStreamEndpoint: string | undefined;
  containerName: string | undefined;
  env: Array<{ name: string; value?: string; secretRef?: string }>;
}

export async function getContainerApp(context: ArmContext, group: string, name: string): Promise<AppState | undefined> {
  const client = await containerAppsClient(context);
  return ifExists(async () => {
    const app = await client.containerApps.get(group, name);
    const container = app.template?.containers?.[0];
    return {
      id: app.id ?? '',
      provisioningState: app.provisioningState,
      fqdn: app.configuration?.ingress?.fqdn,
      tags: app.tags ?? {},
      latestRevisionName: app.latestRevisionName,
      eventStreamEndpoint: app.eventStreamEndpoint,
      containerName: container?.name,
      env: (container?.env ?? []).map((variable) => ({ name: variable.name ?? '', value: variable.value, secretRef: variable.secretRef })),
    };
  });
}

export async function putContainerApp(context: ArmContext, group: string, name: string, app: ContainerApp): Promise<void> {
  const client = await containerAppsClient(context);
  await client.containerApps.beginCreateOrUpdateAndWait(group, name, app);
}

/** The values of the app's secrets, by name. */
export async function containerAppSecrets(context: ArmContext, group: string, name: string): Promise<Map<string, string>> {
  const client = await containerAppsClient(context);
  const secrets = await client.containerApps.listSecrets(group, name);
  return new Map((secrets.value ?? []).map((secret) => [secret.name ?? '', secret.value ?? '']));
}
