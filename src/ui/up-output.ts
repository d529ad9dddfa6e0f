/** What `up` prints on stdout: the plan of a dry run, or the result (CONTAINER_APP_URL last, as azd does). */
import type { Plan } from '../ops/plan.js';
import type { UpResult } from '../ops/up/index.js';

export function formatPlan(plan: Plan, subscriptionId: string): string {
  const lines = [
    `Plan for subscription ${subscriptionId} (dry run: nothing was created or changed)`,
    `  resource group        ${plan.resourceGroup.name} (${plan.resourceGroup.location}), tags ${Object.entries(plan.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  ];
  for (const account of plan.accounts) {
    lines.push(`  OpenAI account ${account.index}      ${account.name} (${account.region}), S0, priority ${account.priority}`);
    for (const deployment of account.deployments) {
      lines.push(
        `    deployment          ${deployment.name}: ${deployment.model.name} ${deployment.model.version}, ${deployment.sku.name}, ${deployment.sku.capacity}K TPM`,
      );
    }
  }
  lines.push(
    `  Log Analytics         ${plan.workspace.name}`,
    `  Container Apps env    ${plan.environment.name}`,
    `  managed identity      ${plan.identity.name} (OpenAI User on each account${plan.registry ? ', AcrPull on the registry' : ''}${plan.sharedState ? ', data access to the shared state' : ''})`,
    plan.registry
      ? `  container registry    ${plan.registry.name} (Basic, admin user off), remote build of templates/balancer`
      : `  image                 ${plan.image} (prebuilt, no build)`,
    ...(plan.sharedState
      ? [
          `  shared state          ${plan.sharedState.name} (Azure Managed Redis ${plan.sharedState.sku}, ${plan.sharedState.location}, high availability off), database default: TLS port ${plan.sharedState.port}, ${plan.sharedState.clusteringPolicy}, ${plan.sharedState.evictionPolicy}, Entra ID only (access keys off); data access for the managed identity`,
        ]
      : []),
    `  container app         ${plan.containerApp.name}: image ${plan.image}, ingress 8080, ${plan.containerApp.minReplicas}-${plan.containerApp.maxReplicas} replicas`,
    '',
    'Quota preflight passed for every region.',
  );
  return `${lines.join('\n')}\n`;
}

export function formatResult(result: UpResult): string {
  const lines = [
    result.changed ? `Done in ${result.seconds}s.` : `Everything was already up to date (${result.seconds}s).`,
    ...result.accounts.map((account) => `  ${account.name} (${account.region}) ${account.deployments.map((d) => `${d.name} ${d.capacity}K`).join(', ')}`),
  ];
  if (result.sharedState) lines.push(`  shared state: ${result.sharedState.name} ${result.sharedState.url}`);
  if (result.clientKey) lines.push(`  client key: ${result.clientKey}`);
  lines.push('', `CONTAINER_APP_URL=${result.containerAppUrl}`);
  return `${lines.join('\n')}\n`;
}
