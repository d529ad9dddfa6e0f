// The data plane of Azure Managed Redis databases (docs/twin.md "Azure Managed Redis"): per database a real
// redis-server and a TLS front that checks Entra ID tokens from the twin's managed-identity endpoint against
// the database's access policy assignments. ARM reports the cluster's hostName as 127.0.0.1 and the
// database's port as the front's loopback port.
import type { RedisCluster, RedisDatabase, RedisDataPlaneHook } from '../providers/redis-state.js';
import { normalizeResource, type TokenStore } from './identity-endpoint.js';
import { RedisFront, type AuthDecision } from './redis-front.js';
import { RedisServerProcess } from './redis-server.js';

/** The audience Azure Managed Redis accepts: https://redis.azure.com (scope …/.default), or its app id. */
export const REDIS_RESOURCES = ['https://redis.azure.com', 'acca5fbb-b7e4-4009-81f1-37e38fd66d78'];

export interface RedisDatabasePlane {
  cluster: RedisCluster;
  database: RedisDatabase;
  server: RedisServerProcess;
  front: RedisFront;
  stopped?: Promise<void>;
}

export class RedisPlanes implements RedisDataPlaneHook {
  /** Every database plane started (stopped ones included), for tests. */
  readonly started: RedisDatabasePlane[] = [];
  private readonly live = new Map<RedisDatabase, RedisDatabasePlane>();

  constructor(
    private readonly tls: { key: string; cert: string },
    private readonly tokens: TokenStore,
  ) {}

  hostName(): string {
    return '127.0.0.1';
  }

  async start(cluster: RedisCluster, database: RedisDatabase): Promise<number> {
    const server = new RedisServerProcess();
    const front = new RedisFront(
      this.tls,
      () => (server.running ? { port: server.port, password: server.password } : undefined),
      (username, password) => authorize(this.tokens, database, username, password),
    );
    const plane: RedisDatabasePlane = { cluster, database, server, front };
    this.started.push(plane);
    this.live.set(database, plane);
    await Promise.all([server.start(), front.start()]);
    return front.port;
  }

  stop(_cluster: RedisCluster, database: RedisDatabase): Promise<void> {
    const plane = this.live.get(database);
    if (!plane) return Promise.resolve();
    this.live.delete(database);
    plane.stopped = Promise.all([plane.front.close(), plane.server.stop()]).then(() => undefined);
    return plane.stopped;
  }

  /** The plane of a live database (by cluster and database name). */
  plane(clusterName: string, databaseName = 'default'): RedisDatabasePlane | undefined {
    return [...this.live.values()].find(
      (p) => p.cluster.name.toLowerCase() === clusterName.toLowerCase() && p.database.name.toLowerCase() === databaseName.toLowerCase(),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.live.values()].map((p) => this.stop(p.cluster, p.database)));
    await Promise.all(this.started.map((p) => p.stopped));
  }
}

export function authorize(tokens: TokenStore, database: RedisDatabase, username: string, password: string): AuthDecision {
  if (database.accessKeysAuthentication === 'Enabled' && username === 'default' && (password === database.primaryKey || password === database.secondaryKey)) {
    return { ok: true };
  }
  const token = tokens.find(password);
  if (!token) return { ok: false, reason: 'not a token the twin issued (nor an allowed access key)' };
  if (token.expiresAt <= Date.now()) return { ok: false, reason: 'the token has expired' };
  if (!REDIS_RESOURCES.includes(normalizeResource(token.resource)))
    return { ok: false, reason: `the token is for ${token.resource}, not https://redis.azure.com` };
  if (token.principalId.toLowerCase() !== username.toLowerCase())
    return { ok: false, reason: `the username is not the token's object id ${token.principalId}` };
  const granted = [...database.assignments.values()].some((a) => a.provisioningState === 'Succeeded' && a.objectId.toLowerCase() === username.toLowerCase());
  if (!granted) return { ok: false, reason: `no access policy assignment for ${username} on database ${database.name}` };
  return { ok: true, expiresAt: token.expiresAt };
}
