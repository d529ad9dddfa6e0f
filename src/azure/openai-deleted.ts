/**
 * Soft-deleted Azure OpenAI accounts. Deleting an account (or its resource group) keeps it for 48 hours
 * under `deletedAccounts`, still holding its name, its custom subdomain and its TPM quota; purging frees
 * them at once.
 */
import { cognitiveClient, type ArmContext } from './clients.js';
import { isNotFound } from './errors.js';

export interface DeletedAccount {
  name: string;
  location: string;
  resourceGroup: string;
  tags: Record<string, string>;
  scheduledPurgeDate: string | undefined;
}

/** …/providers/Microsoft.CognitiveServices/locations/{location}/resourceGroups/{rg}/deletedAccounts/{name} */
const deletedAccountId = /\/locations\/([^/]+)\/resourceGroups\/([^/]+)\/deletedAccounts\/([^/]+)$/i;

/** Every soft-deleted account in the subscription. */
export async function listDeletedAccounts(context: ArmContext): Promise<DeletedAccount[]> {
  const client = await cognitiveClient(context);
  const accounts: DeletedAccount[] = [];
  for await (const account of client.deletedAccounts.list()) {
    const parts = deletedAccountId.exec(account.id ?? '');
    if (!parts) continue;
    accounts.push({
      name: account.name ?? parts[3]!,
      location: account.location ?? parts[1]!,
      resourceGroup: parts[2]!,
      tags: account.tags ?? {},
      scheduledPurgeDate: account.properties?.scheduledPurgeDate,
    });
  }
  return accounts;
}

export async function getDeletedAccount(context: ArmContext, location: string, group: string, name: string): Promise<DeletedAccount | undefined> {
  const client = await cognitiveClient(context);
  try {
    const account = await client.deletedAccounts.get(location, group, name);
    return {
      name: account.name ?? name,
      location: account.location ?? location,
      resourceGroup: group,
      tags: account.tags ?? {},
      scheduledPurgeDate: account.properties?.scheduledPurgeDate,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Purges a soft-deleted account for good; false when there was none to purge. */
export async function purgeDeletedAccount(context: ArmContext, location: string, group: string, name: string): Promise<boolean> {
  const client = await cognitiveClient(context);
  try {
    await client.deletedAccounts.beginPurgeAndWait(location, group, name);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
