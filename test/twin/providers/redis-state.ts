// What the twin's Azure holds for Microsoft.Cache/redisEnterprise (Azure Managed Redis): clusters, their
// databases and each database's access policy assignments (the Entra ID data-access grants). Kept apart
// from state.ts; the routes are in redis-clusters.ts and redis-databases.ts, the data plane (a real
// redis-server behind a TLS front per database) in ../dataplane/redis-plane.ts, attached through `plane`.
import { key } from '../arm.js';

export interface AccessPolicyAssignment {
  name: string;
  accessPolicyName: string;
  objectId: string;
  provisioningState: string;
}

export interface RedisDatabase {
  name: string;
  provisioningState: string;
  resourceState: string;
  clientProtocol: string;
  clusteringPolicy: string;
  evictionPolicy: string;
  /** The port ARM reports: 10000 without a data plane, else the TLS front's loopback port. */
  port: number;
  accessKeysAuthentication: 'Enabled' | 'Disabled';
  deferUpgrade: string;
  persistence: Record<string, unknown>;
  modules: Array<{ name: string; args?: string }>;
  primaryKey: string;
  secondaryKey: string;
  assignments: Map<string, AccessPolicyAssignment>;
}

export interface RedisCluster {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  sku: { name: string; capacity?: number };
  zones?: string[];
  identity?: Record<string, unknown>;
  provisioningState: string;
  resourceState: string;
  highAvailability: string;
  minimumTlsVersion: string;
  publicNetworkAccess: string;
  databases: Map<string, RedisDatabase>;
}

/** The data plane behind a database (a redis-server and its TLS front), when the twin runs one. */
export interface RedisDataPlaneHook {
  /** Starts the database's server and front; resolves to the front's port. */
  start(cluster: RedisCluster, database: RedisDatabase): Promise<number>;
  /** Stops them (idempotent); resolves when the processes have exited. */
  stop(cluster: RedisCluster, database: RedisDatabase): Promise<void>;
  /** The host name ARM reports for a cluster. */
  hostName(cluster: RedisCluster): string;
}

export class RedisState {
  readonly clusters = new Map<string, RedisCluster>();
  plane?: RedisDataPlaneHook;

  cluster(sub: string, rg: string, name: string): RedisCluster | undefined {
    return this.clusters.get(key(sub, rg, name));
  }

  /** Removes a cluster and stops its databases' data planes (awaited by whoever needs it, e.g. tests). */
  remove(cluster: RedisCluster): Promise<void> {
    this.clusters.delete(key(cluster.subscriptionId, cluster.resourceGroup, cluster.name));
    return this.stopAll(cluster);
  }

  stopAll(cluster: RedisCluster): Promise<void> {
    const plane = this.plane;
    if (!plane) return Promise.resolve();
    return Promise.all([...cluster.databases.values()].map((db) => plane.stop(cluster, db))).then(() => undefined);
  }

  /** ARM deletes a group's resources with it. */
  forgetGroup(sub: string, rg: string): Promise<void> {
    const gone = [...this.clusters.values()].filter((c) => key(c.subscriptionId, c.resourceGroup) === key(sub, rg));
    return Promise.all(gone.map((c) => this.remove(c))).then(() => undefined);
  }

  hostName(cluster: RedisCluster): string {
    return this.plane?.hostName(cluster) ?? `${cluster.name.toLowerCase()}.${cluster.location.replace(/\s+/g, '').toLowerCase()}.redis.azure.net`;
  }
}
