/**
 * Azure Managed Redis (Microsoft.Cache/redisEnterprise): the balancers' shared state. Called through
 * @azure/arm-resources' generic by-id operations with api-version 2025-07-01, because the only
 * @azure/arm-redisenterprisecache on the registry (2.2.0) speaks 2022-01-01, which has neither
 * `accessKeysAuthentication` nor access policy assignments (the Entra ID data-access grant); docs/azure.md.
 */
import type { GenericResource } from '@azure/arm-resources';
import { resourcesClient, type ArmContext } from './clients.js';
import { ifExists } from './errors.js';

export const redisApiVersion = '2025-07-01';
/** The database port of Azure Managed Redis (TLS). */
export const redisPort = 10000;

export interface RedisClusterState {
  id: string;
  name: string;
  location: string;
  provisioningState: string | undefined;
  resourceState: string | undefined;
  hostName: string | undefined;
  sku: string | undefined;
}

export interface RedisDatabaseState {
  id: string;
  provisioningState: string | undefined;
  port: number | undefined;
  clientProtocol: string | undefined;
  clusteringPolicy: string | undefined;
  evictionPolicy: string | undefined;
  accessKeysAuthentication: string | undefined;
}

export interface AccessAssignmentState {
  provisioningState: string | undefined;
  accessPolicyName: string | undefined;
  objectId: string | undefined;
}

export interface RedisClusterSpec {
  location: string;
  tags: Record<string, string>;
  sku: string;
  highAvailability: 'Enabled' | 'Disabled';
}

export interface RedisDatabaseSpec {
  clusteringPolicy: 'EnterpriseCluster' | 'OSSCluster' | 'NoCluster';
  evictionPolicy: string;
}

export const clusterResourceId = (context: ArmContext, group: string, name: string): string =>
  `/subscriptions/${context.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Cache/redisEnterprise/${name}`;
const databaseResourceId = (context: ArmContext, group: string, cluster: string): string => `${clusterResourceId(context, group, cluster)}/databases/default`;
const assignmentResourceId = (context: ArmContext, group: string, cluster: string, name: string): string =>
  `${databaseResourceId(context, group, cluster)}/accessPolicyAssignments/${name}`;

const props = (resource: GenericResource): Record<string, unknown> => (resource.properties ?? {}) as Record<string, unknown>;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export async function getRedisCluster(context: ArmContext, group: string, name: string): Promise<RedisClusterState | undefined> {
  const client = await resourcesClient(context);
  return ifExists(async () => clusterState(await client.resources.getById(clusterResourceId(context, group, name), redisApiVersion)));
}

/** Creates or updates the cluster and waits until Azure has it running (minutes on Azure). */
export async function putRedisCluster(context: ArmContext, group: string, name: string, spec: RedisClusterSpec): Promise<RedisClusterState> {
  const client = await resourcesClient(context);
  const body = {
    location: spec.location,
    tags: spec.tags,
    sku: { name: spec.sku },
    properties: { minimumTlsVersion: '1.2', highAvailability: spec.highAvailability, publicNetworkAccess: 'Enabled' },
  };
  return clusterState(await client.resources.beginCreateOrUpdateByIdAndWait(clusterResourceId(context, group, name), redisApiVersion, body));
}

export async function getRedisDatabase(context: ArmContext, group: string, cluster: string): Promise<RedisDatabaseState | undefined> {
  const client = await resourcesClient(context);
  return ifExists(async () => databaseState(await client.resources.getById(databaseResourceId(context, group, cluster), redisApiVersion)));
}

/** The `default` database: TLS on port 10000, Entra ID only (access keys disabled), no persistence. */
export async function putRedisDatabase(context: ArmContext, group: string, cluster: string, spec: RedisDatabaseSpec): Promise<RedisDatabaseState> {
  const client = await resourcesClient(context);
  const body = {
    properties: {
      clientProtocol: 'Encrypted',
      port: redisPort,
      clusteringPolicy: spec.clusteringPolicy,
      evictionPolicy: spec.evictionPolicy,
      accessKeysAuthentication: 'Disabled',
    },
  };
  return databaseState(await client.resources.beginCreateOrUpdateByIdAndWait(databaseResourceId(context, group, cluster), redisApiVersion, body));
}

export async function getAccessAssignment(context: ArmContext, group: string, cluster: string, name: string): Promise<AccessAssignmentState | undefined> {
  const client = await resourcesClient(context);
  return ifExists(async () => assignmentState(await client.resources.getById(assignmentResourceId(context, group, cluster, name), redisApiVersion)));
}

/** Grants the principal the database's `default` access policy (data access with an Entra ID token). */
export async function putAccessAssignment(context: ArmContext, group: string, cluster: string, name: string, objectId: string): Promise<AccessAssignmentState> {
  const client = await resourcesClient(context);
  const body = { properties: { accessPolicyName: 'default', user: { objectId } } };
  return assignmentState(await client.resources.beginCreateOrUpdateByIdAndWait(assignmentResourceId(context, group, cluster, name), redisApiVersion, body));
}

/** `rediss://<hostName>:<port>`: what the balancer connects to (no credentials: it authenticates with Entra ID). */
export const sharedStateUrl = (hostName: string, port: number): string => `rediss://${hostName}:${port}`;

function clusterState(resource: GenericResource): RedisClusterState {
  const p = props(resource);
  return {
    id: resource.id ?? '',
    name: resource.name ?? '',
    location: resource.location ?? '',
    provisioningState: text(p.provisioningState),
    resourceState: text(p.resourceState),
    hostName: text(p.hostName),
    sku: resource.sku?.name,
  };
}

function databaseState(resource: GenericResource): RedisDatabaseState {
  const p = props(resource);
  return {
    id: resource.id ?? '',
    provisioningState: text(p.provisioningState),
    port: typeof p.port === 'number' ? p.port : undefined,
    clientProtocol: text(p.clientProtocol),
    clusteringPolicy: text(p.clusteringPolicy),
    evictionPolicy: text(p.evictionPolicy),
    accessKeysAuthentication: text(p.accessKeysAuthentication),
  };
}

function assignmentState(resource: GenericResource): AccessAssignmentState {
  const p = props(resource);
  const user = p.user as { objectId?: unknown } | undefined;
  return { provisioningState: text(p.provisioningState), accessPolicyName: text(p.accessPolicyName), objectId: text(user?.objectId) };
}
