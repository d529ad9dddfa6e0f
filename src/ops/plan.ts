/**
 * What `aoai-lb up` wants to exist, computed from settings alone (no I/O): deterministic names, regions,
 * SKUs, capacities, the balancer's configuration, and the steps with their dependencies, so that `up`
 * can run independent steps concurrently, `--dry-run` can print it, and every re-run finds the same
 * resources.
 */
import { createHash } from 'node:crypto';

export interface ModelChoice {
  name: string;
  version: string;
}

export type DeploymentSku = 'Standard' | 'GlobalStandard';

export interface UpSettings {
  environmentName: string;
  subscriptionId: string;
  /** AZURE_LOCATION: the resource group, workspace, Container Apps environment, registry, identity and app. */
  location: string;
  /** One region per OpenAI account, in account order. */
  regions: string[];
  chat: { deployment: string; model: ModelChoice };
  embedding: { deployment: string; model: ModelChoice };
  sku: DeploymentSku;
  /** OPENAI_CAPACITY: thousands of tokens per minute for each deployment. */
  capacity: number;
  /** Balancer priority per account (lower first); defaults to 1 for all. */
  priorities?: number[];
  /** A prebuilt image instead of a remote build of templates/balancer. */
  image?: string;
  /** The tag of the image built from templates/balancer (a hash of its files); default: the resource token. */
  imageTag?: string;
  replicas?: { min: number; max: number };
  /** How clients authenticate to the balancer (CLIENT_AUTH); default keys. */
  clientAuth?: ClientAuthPlan;
  /** An Azure Managed Redis the replicas share their state through (`up --shared-state`). */
  sharedState?: boolean;
}

export type ClientAuthMode = 'keys' | 'entra' | 'both';

export interface ClientAuthPlan {
  mode: ClientAuthMode;
  /** With entra/both: the tenant whose tokens are accepted (the subscription's). */
  tenantId?: string;
  /** With entra/both: app ids (or object ids) of the clients allowed; empty = any client of the tenant. */
  allowedClientIds: string[];
}

export interface PlannedDeployment {
  name: string;
  model: ModelChoice & { format: 'OpenAI' };
  sku: { name: DeploymentSku; capacity: number };
  /** The quota it draws from in its region: usages are named OpenAI.<sku>.<model>. */
  usageName: string;
}

export interface PlannedAccount {
  index: number;
  name: string;
  region: string;
  customSubDomainName: string;
  endpoint: string;
  priority: number;
  deployments: PlannedDeployment[];
}

/** The replicas' shared state: the smallest Azure Managed Redis, in the balancer's region, Entra ID only. */
export interface PlannedSharedState {
  name: string;
  location: string;
  sku: 'Balanced_B0';
  /** No replica: half the price, and the balancer keeps serving on local state while the store is away. */
  highAvailability: 'Disabled';
  /** One shard, no cluster protocol: any client and multi-key Lua scripts work. */
  clusteringPolicy: 'NoCluster';
  /** The ledger must not lose keys silently; the balancer sets TTLs and degrades to local state if writes fail. */
  evictionPolicy: 'NoEviction';
  port: 10000;
  /** The access policy assignment that lets the balancer's identity in (data access with its token). */
  accessAssignment: string;
}

export interface StepSpec {
  id: string;
  title: string;
  dependsOn: string[];
}

export interface Plan {
  resourceToken: string;
  tags: Record<string, string>;
  resourceGroup: { name: string; location: string };
  accounts: PlannedAccount[];
  workspace: { name: string };
  environment: { name: string };
  identity: { name: string };
  registry: { name: string; loginServer: string } | undefined;
  image: string;
  containerApp: { name: string; targetPort: 8080; minReplicas: number; maxReplicas: number; clientAuth: ClientAuthPlan };
  sharedState: PlannedSharedState | undefined;
  /** Free TPM (thousands) each region must have per usage name, for the quota preflight. */
  quotaNeeds: Array<{ region: string; usageName: string; model: ModelChoice; sku: DeploymentSku; capacity: number }>;
  steps: StepSpec[];
}

/** The tag `down` checks before deleting a resource group. */
export const ownerTag = 'aoai-lb-env';
export const imageRepository = 'aoai-lb-balancer';

/** 13 characters of [a-z0-9] from subscription, environment and location, like azd's resource token. */
export function resourceToken(subscriptionId: string, environmentName: string, location: string): string {
  const digest = createHash('sha256').update(`${subscriptionId.toLowerCase()}|${environmentName.toLowerCase()}|${location.toLowerCase()}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let i = 0; out.length < 13; i++) out += alphabet[digest[i]! % 32];
  return out;
}

export function plan(settings: UpSettings): Plan {
  const token = resourceToken(settings.subscriptionId, settings.environmentName, settings.location);
  const priorities = settings.priorities ?? settings.regions.map(() => 1);
  const accounts = settings.regions.map((region, i): PlannedAccount => {
    const name = `openai${i + 1}-${token}`;
    return {
      index: i + 1,
      name,
      region,
      customSubDomainName: name,
      endpoint: `https://${name}.openai.azure.com/`,
      priority: priorities[i] ?? 1,
      deployments: [settings.chat, settings.embedding].map(({ deployment, model }) => ({
        name: deployment,
        model: { format: 'OpenAI', ...model },
        sku: { name: settings.sku, capacity: settings.capacity },
        usageName: `OpenAI.${settings.sku}.${model.name}`,
      })),
    };
  });
  const registryName = `cr${token}`;
  const registry = settings.image === undefined ? { name: registryName, loginServer: `${registryName}.azurecr.io` } : undefined;
  const replicas = settings.replicas ?? { min: 1, max: 10 };
  return {
    resourceToken: token,
    tags: { [ownerTag]: settings.environmentName, 'azd-env-name': settings.environmentName },
    resourceGroup: { name: `${settings.environmentName}-rg`, location: settings.location },
    accounts,
    workspace: { name: `log-${token}` },
    environment: { name: `cae-${token}` },
    identity: { name: `id-${token}` },
    registry,
    image: settings.image ?? `${registryName}.azurecr.io/${imageRepository}:${settings.imageTag ?? token}`,
    containerApp: {
      name: `ca-lb-${token}`,
      targetPort: 8080,
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      clientAuth: settings.clientAuth ?? { mode: 'keys', allowedClientIds: [] },
    },
    sharedState: settings.sharedState
      ? {
          name: `redis-${token}`,
          location: settings.location,
          sku: 'Balanced_B0',
          highAvailability: 'Disabled',
          clusteringPolicy: 'NoCluster',
          evictionPolicy: 'NoEviction',
          port: 10000,
          accessAssignment: 'balancer',
        }
      : undefined,
    quotaNeeds: quotaNeeds(accounts),
    steps: steps(accounts, registry !== undefined, settings.sharedState === true),
  };
}

/** Capacity each region must have free, summed over the accounts placed there. */
function quotaNeeds(accounts: PlannedAccount[]): Plan['quotaNeeds'] {
  const needs = new Map<string, Plan['quotaNeeds'][number]>();
  for (const account of accounts) {
    for (const deployment of account.deployments) {
      const key = `${account.region}\u0000${deployment.usageName}`;
      const need = needs.get(key);
      if (need) need.capacity += deployment.sku.capacity;
      else
        needs.set(key, {
          region: account.region,
          usageName: deployment.usageName,
          model: { name: deployment.model.name, version: deployment.model.version },
          sku: deployment.sku.name,
          capacity: deployment.sku.capacity,
        });
    }
  }
  return [...needs.values()];
}

/**
 * The dependency graph. Deployments of one account go one after the other (ARM refuses a second
 * operation on an account while one runs); everything else independent runs concurrently.
 */
function steps(accounts: PlannedAccount[], build: boolean, sharedState: boolean): StepSpec[] {
  const list: StepSpec[] = [
    { id: 'group', title: 'resource group', dependsOn: [] },
    { id: 'workspace', title: 'Log Analytics workspace', dependsOn: ['group'] },
    { id: 'environment', title: 'Container Apps environment', dependsOn: ['workspace'] },
    { id: 'identity', title: 'managed identity', dependsOn: ['group'] },
  ];
  const appNeeds = ['environment'];
  for (const account of accounts) {
    const id = `account${account.index}`;
    list.push({ id, title: `OpenAI account ${account.name} (${account.region})`, dependsOn: ['group'] });
    let previous = id;
    for (const deployment of account.deployments) {
      const stepId = `${id}.${deployment.name}`;
      list.push({ id: stepId, title: `deployment ${deployment.name} on ${account.name}`, dependsOn: [previous] });
      previous = stepId;
    }
    list.push({ id: `${id}.role`, title: `OpenAI User role on ${account.name}`, dependsOn: [id, 'identity'] });
    appNeeds.push(previous, `${id}.role`);
  }
  if (build) {
    list.push({ id: 'registry', title: 'container registry', dependsOn: ['group'] });
    list.push({ id: 'registry.role', title: 'AcrPull role on the registry', dependsOn: ['registry', 'identity'] });
    list.push({ id: 'build', title: 'remote build of the balancer image', dependsOn: ['registry'] });
    appNeeds.push('registry.role', 'build');
  }
  if (sharedState) {
    list.push({ id: 'store', title: 'Azure Managed Redis (shared state)', dependsOn: ['group'] });
    list.push({ id: 'store.database', title: 'Redis database', dependsOn: ['store'] });
    list.push({ id: 'store.access', title: 'Redis data access for the identity', dependsOn: ['store.database', 'identity'] });
    appNeeds.push('store.access');
  }
  list.push({ id: 'app', title: 'container app', dependsOn: appNeeds });
  list.push({ id: 'health', title: 'balancer answering /healthz', dependsOn: ['app'] });
  return list;
}
