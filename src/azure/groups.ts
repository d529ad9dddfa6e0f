/** Resource groups: read one, create or update it with its tags, list what it holds, delete it. */
import { cognitiveClient, containerAppsClient, logAnalyticsClient, msiClient, registryClient, resourcesClient, type ArmContext } from './clients.js';
import { isNotFound } from './errors.js';

export interface ResourceGroupState {
  name: string;
  location: string;
  tags: Record<string, string>;
  provisioningState: string | undefined;
}

export async function getResourceGroup(context: ArmContext, name: string): Promise<ResourceGroupState | undefined> {
  const client = await resourcesClient(context);
  try {
    const group = await client.resourceGroups.get(name);
    return { name: group.name ?? name, location: group.location, tags: group.tags ?? {}, provisioningState: group.properties?.provisioningState };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function putResourceGroup(context: ArmContext, name: string, location: string, tags: Record<string, string>): Promise<void> {
  const client = await resourcesClient(context);
  await client.resourceGroups.createOrUpdate(name, { location, tags });
}

/** Deletes the group and everything in it, waiting until ARM is done; false when it did not exist. */
export async function deleteResourceGroup(context: ArmContext, name: string): Promise<boolean> {
  const client = await resourcesClient(context);
  try {
    await client.resourceGroups.beginDeleteAndWait(name);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export interface GroupResource {
  /** What it is, in the words of the portal: "Azure OpenAI account", "container app", … */
  kind: string;
  name: string;
  location: string;
}

/**
 * The resources of the types `up` creates that the group holds (a delete takes anything else too; ARM's
 * generic resource list would name those, but the Azure twin does not serve it).
 */
export async function listGroupResources(context: ArmContext, group: string): Promise<GroupResource[]> {
  const [cognitive, apps, registries, workspaces, identities] = await Promise.all([
    cognitiveClient(context),
    containerAppsClient(context),
    registryClient(context),
    logAnalyticsClient(context),
    msiClient(context),
  ]);
  const lists = await Promise.all([
    collect('Azure OpenAI account', cognitive.accounts.listByResourceGroup(group)),
    collect('container app', apps.containerApps.listByResourceGroup(group)),
    collect('Container Apps environment', apps.managedEnvironments.listByResourceGroup(group)),
    collect('container registry', registries.registries.listByResourceGroup(group)),
    collect('Log Analytics workspace', workspaces.workspaces.listByResourceGroup(group)),
    collect('managed identity', identities.userAssignedIdentities.listByResourceGroup(group)),
  ]);
  return lists.flat();
}

async function collect(kind: string, items: AsyncIterable<{ name?: string; location?: string }>): Promise<GroupResource[]> {
  const found: GroupResource[] = [];
  for await (const item of items) found.push({ kind, name: item.name ?? '', location: item.location ?? '' });
  return found;
}
