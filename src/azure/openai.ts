/** Azure OpenAI accounts (Cognitive Services, kind OpenAI), their deployments, models and quota. */
import { cognitiveClient, type ArmContext } from './clients.js';
import { ifExists } from './errors.js';

export interface AccountState {
  id: string;
  name: string;
  location: string;
  provisioningState: string | undefined;
  endpoint: string | undefined;
  customSubDomainName: string | undefined;
  disableLocalAuth: boolean;
  tags: Record<string, string>;
}

export interface DeploymentState {
  name: string;
  provisioningState: string | undefined;
  model: { format?: string; name?: string; version?: string };
  sku: { name: string; capacity: number | undefined };
}

export interface AccountSpec {
  location: string;
  customSubDomainName: string;
  tags: Record<string, string>;
}

export interface DeploymentSpec {
  model: { format: string; name: string; version: string };
  sku: { name: string; capacity: number };
}

export async function getAccount(context: ArmContext, group: string, name: string): Promise<AccountState | undefined> {
  const client = await cognitiveClient(context);
  return ifExists(async () => {
    const account = await client.accounts.get(group, name);
    return {
      id: account.id ?? '',
      name: account.name ?? name,
      location: account.location ?? '',
      provisioningState: account.properties?.provisioningState,
      endpoint: account.properties?.endpoint,
      customSubDomainName: account.properties?.customSubDomainName,
      disableLocalAuth: account.properties?.disableLocalAuth === true,
      tags: account.tags ?? {},
    };
  });
}

/** Kind OpenAI, S0, a custom subdomain (needed for Entra ID tokens) and local (key) auth off. */
export async function putAccount(context: ArmContext, group: string, name: string, spec: AccountSpec): Promise<void> {
  const client = await cognitiveClient(context);
  await client.accounts.beginCreateAndWait(group, name, {
    location: spec.location,
    kind: 'OpenAI',
    sku: { name: 'S0' },
    tags: spec.tags,
    properties: { customSubDomainName: spec.customSubDomainName, publicNetworkAccess: 'Enabled', disableLocalAuth: true },
  });
}

export async function getDeployment(context: ArmContext, group: string, account: string, name: string): Promise<DeploymentState | undefined> {
  const client = await cognitiveClient(context);
  return ifExists(async () => {
    const deployment = await client.deployments.get(group, account, name);
    return {
      name: deployment.name ?? name,
      provisioningState: deployment.properties?.provisioningState,
      model: deployment.properties?.model ?? {},
      sku: { name: deployment.sku?.name ?? '', capacity: deployment.sku?.capacity },
    };
  });
}

export async function putDeployment(context: ArmContext, group: string, account: string, name: string, spec: DeploymentSpec): Promise<void> {
  const client = await cognitiveClient(context);
  await client.deployments.beginCreateOrUpdateAndWait(group, account, name, {
    sku: spec.sku,
    properties: { model: spec.model, versionUpgradeOption: 'NoAutoUpgrade' },
  });
}

/** Changes only the capacity (PATCH), the deployment keeps serving while it changes. */
export async function setDeploymentCapacity(
  context: ArmContext,
  group: string,
  account: string,
  name: string,
  sku: { name: string; capacity: number },
): Promise<void> {
  const client = await cognitiveClient(context);
  await client.deployments.beginUpdateAndWait(group, account, name, { sku });
}

export interface ModelOffer {
  name: string;
  version: string;
  skus: Array<{ name: string; usageName: string | undefined }>;
}

export async function modelsIn(context: ArmContext, region: string): Promise<ModelOffer[]> {
  const client = await cognitiveClient(context);
  const offers: ModelOffer[] = [];
  for await (const item of client.models.list(region)) {
    const model = item.model;
    if (!model?.name || !model.version) continue;
    offers.push({ name: model.name, version: model.version, skus: (model.skus ?? []).map((sku) => ({ name: sku.name ?? '', usageName: sku.usageName })) });
  }
  return offers;
}

export interface Usage {
  current: number;
  limit: number;
}

/** Quota in a region by usage name (`OpenAI.Standard.gpt-4o-mini`), in capacity units (1K TPM). */
export async function usagesIn(context: ArmContext, region: string): Promise<Map<string, Usage>> {
  const client = await cognitiveClient(context);
  const usages = new Map<string, Usage>();
  for await (const usage of client.usages.list(region)) {
    const name = usage.name?.value;
    if (name) usages.set(name, { current: usage.currentValue ?? 0, limit: usage.limit ?? 0 });
  }
  return usages;
}
