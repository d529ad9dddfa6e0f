/** Resource groups: read one, create or update it with its tags. */
import { resourcesClient, type ArmContext } from './clients.js';
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
