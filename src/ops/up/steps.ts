/** Step id → what it does. Errors are reported against the step's resource, with the known fixes. */
import { failedOn } from '../../azure/errors.js';
import type { StepHandle } from '../../ui/progress.js';
import type { StepOutcome } from '../graph.js';
import type { UpContext } from './context.js';
import { awaitHealthy, ensureApp } from './steps-app.js';
import { ensureEnvironment, ensureGroup, ensureIdentity, ensureWorkspace } from './steps-foundation.js';
import { ensureImage, ensureRegistry } from './steps-image.js';
import { ensureStore, ensureStoreAccess, ensureStoreDatabase } from './steps-store.js';
import { acrPullRole, ensureAccount, ensureDeployment, ensureRole, openAIUserRole } from './steps-openai.js';

export function stepRunner(up: UpContext): (id: string, handle: StepHandle) => Promise<StepOutcome> {
  const { plan } = up;
  const group = plan.resourceGroup.name;
  const table = new Map<string, { resource: string; run: (handle: StepHandle) => Promise<StepOutcome> }>([
    ['group', { resource: `resource group ${group}`, run: () => ensureGroup(up) }],
    ['workspace', { resource: `Log Analytics workspace ${plan.workspace.name}`, run: () => ensureWorkspace(up) }],
    ['environment', { resource: `Container Apps environment ${plan.environment.name}`, run: () => ensureEnvironment(up) }],
    ['identity', { resource: `managed identity ${plan.identity.name}`, run: () => ensureIdentity(up) }],
    ['app', { resource: `container app ${plan.containerApp.name}`, run: () => ensureApp(up) }],
    ['health', { resource: `container app ${plan.containerApp.name}`, run: (handle) => awaitHealthy(up, handle) }],
  ]);
  if (plan.registry) {
    const registry = plan.registry.name;
    table.set('registry', { resource: `container registry ${registry}`, run: () => ensureRegistry(up) });
    table.set('registry.role', { resource: `AcrPull role on ${registry}`, run: (handle) => ensureRole(up, up.found.registry!.id, acrPullRole, handle) });
    table.set('build', { resource: `remote build in ${registry}`, run: (handle) => ensureImage(up, handle) });
  }
  if (plan.sharedState) {
    const store = plan.sharedState.name;
    table.set('store', { resource: `Azure Managed Redis ${store} (${plan.sharedState.location})`, run: () => ensureStore(up) });
    table.set('store.database', { resource: `database default of Azure Managed Redis ${store}`, run: () => ensureStoreDatabase(up) });
    table.set('store.access', { resource: `data access to Azure Managed Redis ${store}`, run: () => ensureStoreAccess(up) });
  }
  for (const account of plan.accounts) {
    const id = `account${account.index}`;
    const where = `${account.name} (${account.region})`;
    table.set(id, { resource: `OpenAI account ${where}`, run: () => ensureAccount(up, account) });
    table.set(`${id}.role`, {
      resource: `OpenAI User role on ${account.name}`,
      run: (handle) => ensureRole(up, up.found.accounts.get(account.index)!.id, openAIUserRole, handle),
    });
    for (const deployment of account.deployments) {
      table.set(`${id}.${deployment.name}`, { resource: `deployment ${deployment.name} on ${where}`, run: () => ensureDeployment(up, account, deployment) });
    }
  }
  return async (id, handle) => {
    const step = table.get(id);
    if (!step) throw new Error(`no step "${id}" in up's step table`);
    try {
      return await step.run(handle);
    } catch (error) {
      throw failedOn(error, { resource: step.resource, environment: up.environmentName });
    }
  };
}
