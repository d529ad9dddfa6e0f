/**
 * Role assignments with deterministic names (a GUID from scope, principal and role, like Bicep's guid()),
 * so a re-run finds the assignment it made instead of adding another.
 */
import { createHash } from 'node:crypto';
import { authorizationClient, type ArmContext } from './clients.js';
import { armErrorOf, isNotFound } from './errors.js';

export const roleIds = {
  cognitiveServicesOpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
} as const;

export function roleAssignmentName(scope: string, principalId: string, roleId: string): string {
  const hex = createHash('sha256').update(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleId.toLowerCase()}`).digest('hex');
  // Shaped as a version-5 style GUID: ARM only checks that the name is a GUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function hasRoleAssignment(context: ArmContext, scope: string, name: string): Promise<boolean> {
  const client = await authorizationClient(context);
  try {
    await client.roleAssignments.get(scope, name);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * Grants the role; an assignment of the same role to the same principal under another name counts as done.
 * PrincipalNotFound (a new identity not yet replicated in the directory) is retried with back-off.
 */
export async function assignRole(
  context: ArmContext,
  input: { scope: string; principalId: string; roleId: string },
  retry: { attempts: number; firstDelayMs: number; onRetry?: (attempt: number) => void } = { attempts: 8, firstDelayMs: 2000 },
): Promise<void> {
  const client = await authorizationClient(context);
  const name = roleAssignmentName(input.scope, input.principalId, input.roleId);
  const roleDefinitionId = `/subscriptions/${context.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${input.roleId}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.roleAssignments.create(input.scope, name, { roleDefinitionId, principalId: input.principalId, principalType: 'ServicePrincipal' });
      return;
    } catch (error) {
      const code = armErrorOf(error)?.code;
      if (code === 'RoleAssignmentExists') return;
      if (code !== 'PrincipalNotFound' || attempt >= retry.attempts) throw error;
      retry.onRetry?.(attempt);
      await new Promise((resolve) => setTimeout(resolve, retry.firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}
