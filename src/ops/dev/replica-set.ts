/**
 * `dev --replicas N`: N balancer processes sharing state through Redis (SHARED_STATE_URL from the
 * environment, else a redis-server that dev starts), behind one round-robin port.
 */
import type { Server } from 'node:http';
import type { DevSettings } from './index.js';
import { listenError } from './listen-error.js';
import { findRedisServer, redisMissing, startLocalRedis, type LocalRedis } from './local-redis.js';
import { startReplicaProcess, type ReplicaProcess } from './replica-process.js';
import { startRoundRobinFront } from './round-robin-front.js';

export interface ReplicaSetFront {
  url: string;
  server: Server;
  statusUrls: string[];
  replicaSet: { urls: string[]; store: string };
  close(): Promise<void>;
}

export async function startReplicaSet(
  settings: DevSettings,
  env: Record<string, string | undefined>,
  writeLog: (line: string) => void,
): Promise<ReplicaSetFront> {
  let redis: LocalRedis | undefined;
  const replicas: ReplicaProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis?.stop();
  };
  try {
    let store = env.SHARED_STATE_URL;
    let shown = store === undefined ? undefined : URL.canParse(store) ? `${new URL(store).protocol}//${new URL(store).host}` : 'SHARED_STATE_URL';
    if (store === undefined && env.SHARED_STATE_URL_FILE === undefined) {
      const binary = findRedisServer(env);
      if (!binary) throw redisMissing();
      redis = await startLocalRedis(binary);
      store = redis.url;
      shown = redis.shown;
    }
    const replicaEnv = { ...env, ...(store === undefined ? {} : { SHARED_STATE_URL: store }) };
    replicas.push(...(await Promise.all(Array.from({ length: settings.replicas }, (_, i) => startReplicaProcess(i + 1, replicaEnv, writeLog)))));
    const front = await startRoundRobinFront(
      settings.host,
      settings.port,
      replicas.map((replica) => replica.url),
    ).catch((error: unknown) => {
      throw listenError(settings, error);
    });
    return {
      url: front.url,
      server: front.server,
      statusUrls: replicas.map((replica) => replica.url),
      replicaSet: { urls: replicas.map((replica) => replica.url), store: shown ?? 'SHARED_STATE_URL_FILE' },
      async close() {
        await front.close();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
