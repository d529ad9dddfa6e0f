/** What `up` leaves behind: the azd environment's values, and the one result `--json` prints. */
import { outputKeys } from '../../env/keys.js';
import type { StepReport } from '../graph.js';
import type { UpContext } from './context.js';
import { storeUrl } from './steps-app.js';

export function environmentOutputs(up: UpContext): Record<string, string | undefined> {
  const { plan } = up;
  const accounts = plan.accounts.map((account) => up.found.accounts.get(account.index));
  return {
    [outputKeys.containerAppUrl]: `https://${up.found.fqdn}`,
    [outputKeys.containerAppName]: plan.containerApp.name,
    [outputKeys.accounts]: plan.accounts.map((account) => account.name).join(','),
    [outputKeys.endpoints]: accounts.map((account, i) => account?.endpoint ?? plan.accounts[i]!.endpoint).join(','),
    [outputKeys.identityClientId]: up.found.identity?.clientId ?? '',
    ...(up.found.registry ? { [outputKeys.registryName]: plan.registry!.name } : {}),
    [outputKeys.imageDeployed]: up.found.image ?? plan.image,
    // Cleared when --no-shared-state: the store may still exist, but the balancer no longer uses it.
    [outputKeys.sharedStateName]: plan.sharedState?.name,
    [outputKeys.sharedStateUrl]: storeUrl(up),
  };
}

export interface UpResult {
  environment: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  containerAppUrl: string;
  /** Only with --show-key. */
  clientKey?: string;
  accounts: Array<{
    name: string;
    region: string;
    endpoint: string;
    priority: number;
    deployments: Array<{ name: string; model: string; sku: string; capacity: number }>;
  }>;
  image: string;
  /** With --shared-state: the Azure Managed Redis and the URL the balancer connects to. */
  sharedState?: { name: string; location: string; url: string };
  changed: boolean;
  seconds: number;
  steps: Array<{ id: string; outcome: string; seconds: number }>;
}

export function upResult(up: UpContext, subscriptionId: string, steps: StepReport[], seconds: number, showKey: boolean): UpResult {
  const { plan } = up;
  return {
    environment: up.environmentName,
    subscriptionId,
    resourceGroup: plan.resourceGroup.name,
    location: plan.resourceGroup.location,
    containerAppUrl: `https://${up.found.fqdn}`,
    ...(showKey && up.found.clientKey ? { clientKey: up.found.clientKey } : {}),
    accounts: plan.accounts.map((account) => ({
      name: account.name,
      region: account.region,
      endpoint: up.found.accounts.get(account.index)?.endpoint ?? account.endpoint,
      priority: account.priority,
      deployments: account.deployments.map((d) => ({ name: d.name, model: `${d.model.name}:${d.model.version}`, sku: d.sku.name, capacity: d.sku.capacity })),
    })),
    image: up.found.image ?? plan.image,
    ...(plan.sharedState ? { sharedState: { name: plan.sharedState.name, location: plan.sharedState.location, url: storeUrl(up) ?? '' } } : {}),
    changed: steps.some((step) => step.outcome === 'created' || step.outcome === 'updated'),
    seconds: Math.round(seconds * 10) / 10,
    steps: steps.map((step) => ({ id: step.id, outcome: step.outcome, seconds: Math.round(step.seconds * 10) / 10 })),
  };
}
