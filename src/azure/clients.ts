/**
 * Every Azure SDK client is made here, from one set of options built from the Cloud. Each package is
 * imported when its first client is made: loading them all takes about a second, and `aoai-lb --help`
 * must not pay for it. So the SDKs appear at the top of this file as types only.
 *
 * Retries are core-rest-pipeline's defaults, kept on purpose (docs/azure.md): 3 retries; a 429 or 503
 * with Retry-After waits as told; 408 and 5xx (not 501/505) and connection resets back off
 * exponentially with jitter (0.5–1 s, 1–2 s, 2–4 s).
 */
import type { TokenCredential } from '@azure/identity';
import type { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { version } from '../core/version.js';
import type { Cloud } from './cloud.js';

export interface ArmContext {
  cloud: Cloud;
  credential: TokenCredential;
  subscriptionId: string;
}

export interface ArmClientOptions {
  endpoint: string;
  $host: string;
  credentialScopes: string[];
  userAgentOptions: { userAgentPrefix: string };
}

export function armClientOptions(cloud: Cloud): ArmClientOptions {
  return {
    endpoint: cloud.resourceManagerEndpoint,
    $host: cloud.resourceManagerEndpoint,
    // Without it a classic client asks for `${endpoint}/.default`, which is wrong for a custom endpoint.
    credentialScopes: [cloud.resourceManagerScope],
    userAgentOptions: { userAgentPrefix: `aoai-lb/${version}` },
  };
}

export async function cognitiveClient(ctx: ArmContext): Promise<CognitiveServicesManagementClient> {
  const { CognitiveServicesManagementClient } = await import('@azure/arm-cognitiveservices');
  return new CognitiveServicesManagementClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}

export async function resourcesClient(ctx: ArmContext): Promise<ResourceManagementClient> {
  const { ResourceManagementClient } = await import('@azure/arm-resources');
  return new ResourceManagementClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}

/** Subscriptions are listed before one is chosen, hence no ArmContext. */
export async function subscriptionsClient(cloud: Cloud, credential: TokenCredential): Promise<SubscriptionClient> {
  const { SubscriptionClient } = await import('@azure/arm-resources-subscriptions');
  return new SubscriptionClient(credential, armClientOptions(cloud));
}

export async function containerAppsClient(ctx: ArmContext): Promise<ContainerAppsAPIClient> {
  const { ContainerAppsAPIClient } = await import('@azure/arm-appcontainers');
  return new ContainerAppsAPIClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}

export async function registryClient(ctx: ArmContext): Promise<ContainerRegistryManagementClient> {
  const { ContainerRegistryManagementClient } = await import('@azure/arm-containerregistry');
  return new ContainerRegistryManagementClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}

export async function authorizationClient(ctx: ArmContext): Promise<AuthorizationManagementClient> {
  const { AuthorizationManagementClient } = await import('@azure/arm-authorization');
  return new AuthorizationManagementClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}

export async function logAnalyticsClient(ctx: ArmContext): Promise<OperationalInsightsManagementClient> {
  const { OperationalInsightsManagementClient } = await import('@azure/arm-operationalinsights');
  return new OperationalInsightsManagementClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}

export async function msiClient(ctx: ArmContext): Promise<ManagedServiceIdentityClient> {
  const { ManagedServiceIdentityClient } = await import('@azure/arm-msi');
  return new ManagedServiceIdentityClient(ctx.credential, ctx.subscriptionId, armClientOptions(ctx.cloud));
}
