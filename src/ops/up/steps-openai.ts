/** The Azure OpenAI steps: each account, its deployments one after the other, and the identity's role on it. */
import { getAccount, getDeployment, putAccount, putDeployment, setDeploymentCapacity } from '../../azure/openai.js';
import { assignRole, hasRoleAssignment, roleAssignmentName, roleIds } from '../../azure/roles.js';
import type { StepHandle } from '../../ui/progress.js';
import type { StepOutcome } from '../graph.js';
import type { PlannedAccount, PlannedDeployment } from '../plan.js';
import { settled, succeeded, type UpContext } from './context.js';

export async function ensureAccount(up: UpContext, planned: PlannedAccount): Promise<StepOutcome> {
  const group = up.plan.resourceGroup.name;
  const current = await settled(() => getAccount(up.arm, group, planned.name), up.timings.settlePollMs);
  const right =
    current &&
    succeeded(current) &&
    current.disableLocalAuth &&
    current.customSubDomainName === planned.customSubDomainName &&
    Object.entries(up.plan.tags).every(([k, v]) => current.tags[k] === v);
  if (!right) {
    await putAccount(up.arm, group, planned.name, { location: planned.region, customSubDomainName: planned.customSubDomainName, tags: up.plan.tags });
  }
  const account = await getAccount(up.arm, group, planned.name);
  up.found.accounts.set(planned.index, account!);
  return right ? 'unchanged' : current ? 'updated' : 'created';
}

export async function ensureDeployment(up: UpContext, planned: PlannedAccount, deployment: PlannedDeployment): Promise<StepOutcome> {
  const group = up.plan.resourceGroup.name;
  const current = await settled(() => getDeployment(up.arm, group, planned.name, deployment.name), up.timings.settlePollMs);
  const sameModel =
    current?.model.name === deployment.model.name && current.model.version === deployment.model.version && current.sku.name === deployment.sku.name;
  if (current && succeeded(current) && sameModel) {
    if (current.sku.capacity === deployment.sku.capacity) return 'unchanged';
    await setDeploymentCapacity(up.arm, group, planned.name, deployment.name, deployment.sku);
    return 'updated';
  }
  await putDeployment(up.arm, group, planned.name, deployment.name, { model: deployment.model, sku: deployment.sku });
  return current ? 'updated' : 'created';
}

/** Grants the balancer's identity a role on a resource, riding out the new principal's replication delay. */
export async function ensureRole(up: UpContext, scope: string, roleId: string, handle: StepHandle): Promise<StepOutcome> {
  const principalId = up.found.identity!.principalId;
  if (await hasRoleAssignment(up.arm, scope, roleAssignmentName(scope, principalId, roleId))) return 'unchanged';
  await assignRole(
    up.arm,
    { scope, principalId, roleId },
    {
      attempts: 8,
      firstDelayMs: 2000,
      onRetry: (attempt) => handle.update(`waiting for the new identity to reach the directory (try ${attempt + 1})`),
    },
  );
  return 'created';
}

export const openAIUserRole = roleIds.cognitiveServicesOpenAIUser;
export const acrPullRole = roleIds.acrPull;
