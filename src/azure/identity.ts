/** User-assigned managed identities: the balancer's identity, created before the app so roles can be granted first. */
import { msiClient, type ArmContext } from './clients.js';
import { ifExists } from './errors.js';

export interface IdentityState {
  id: string;
  principalId: string;
  clientId: string;
}

export async function getIdentity(context: ArmContext, group: string, name: string): Promise<IdentityState | undefined> {
  const client = await msiClient(context);
  return ifExists(async () => toState(await client.userAssignedIdentities.get(group, name)));
}

export async function putIdentity(context: ArmContext, group: string, name: string, location: string, tags: Record<string, string>): Promise<IdentityState> {
  const client = await msiClient(context);
  return toState(await client.userAssignedIdentities.createOrUpdate(group, name, { location, tags }));
}

function toState(identity: { id?: string; principalId?: string; clientId?: string }): IdentityState {
  return { id: identity.id ?? '', principalId: identity.principalId ?? '', clientId: identity.clientId ?? '' };
}
