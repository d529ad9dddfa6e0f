/** Log Analytics workspaces: where the Container Apps environment sends the balancer's logs. */
import { logAnalyticsClient, type ArmContext } from './clients.js';
import { ifExists } from './errors.js';

export interface WorkspaceState {
  id: string;
  customerId: string;
  provisioningState: string | undefined;
}

export async function getWorkspace(context: ArmContext, group: string, name: string): Promise<WorkspaceState | undefined> {
  const client = await logAnalyticsClient(context);
  return ifExists(async () => {
    const workspace = await client.workspaces.get(group, name);
    return { id: workspace.id ?? '', customerId: workspace.customerId ?? '', provisioningState: workspace.provisioningState };
  });
}

export async function putWorkspace(context: ArmContext, group: string, name: string, location: string, tags: Record<string, string>): Promise<WorkspaceState> {
  const client = await logAnalyticsClient(context);
  const workspace = await client.workspaces.beginCreateOrUpdateAndWait(group, name, { location, tags, sku: { name: 'PerGB2018' }, retentionInDays: 30 });
  return { id: workspace.id ?? '', customerId: workspace.customerId ?? '', provisioningState: workspace.provisioningState };
}

export async function workspaceSharedKey(context: ArmContext, group: string, name: string): Promise<string> {
  const client = await logAnalyticsClient(context);
  const keys = await client.sharedKeysOperations.getSharedKeys(group, name);
  return keys.primarySharedKey ?? '';
}
