/**
 * Several replicas behind one round-robin front (bench/contenders/front.ts), as one contender: aoai-lb
 * replicas (the built dist/main.js, one process each, WORKERS=1) with or without shared state on a
 * redis-server of their own, or replicas of the LiteLLM-like baseline (bench/litellm-like.ts). The client
 * sees one URL, the front's.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startNode, stopProcess, waitForHttp, type Tracked } from '../processes.js';
import { startRedis, type Redis } from '../redis.js';
import { clientKey, startBalancer, type Server } from '../servers.js';
import { startFront, type Front } from './front.js';
import type { BalancerStatus } from '../../templates/balancer/src/status.js';
import { sharedStateDefaults } from '../../templates/balancer/src/shared-state/config.js';
import { azurePath, requestWindowSeconds, type Backend, type Contender } from './types.js';

/** One replica's counters after a run: client requests answered, upstream attempts, upstream 429s, failovers (retries). */
export interface ReplicaCounts {
  requests: number;
  attempts: number;
  throttled: number;
  failovers: number;
  sharedMode?: string;
  /** Set when the replica could not be asked: it exited, or did not answer. */
  problem?: string;
}

export interface ReplicasOptions {
  name: string;
  replicas: number;
  kind: 'aoai-lb' | 'litellm-like';
  /** aoai-lb only: SHARED_STATE_URL on a redis-server started for this run. */
  shared?: boolean;
  /** aoai-lb only: put the replicas behind the front (default) or hand out the one replica's URL. */
  front?: boolean;
}

interface Replica {
  url: string;
  pid: number;
  process: Tracked;
  stop(): Promise<void>;
}

async function startLitellmLike(backends: Backend[], timeScale: number, upstreamTimeoutMs: number): Promise<Replica> {
  const port = await freePort();
  const tracked = startNode('LiteLLM-like', ['--import', 'tsx', fileURLToPath(new URL('../litellm-like.ts', import.meta.url))], {
    PATH: process.env.PATH,
    ...(process.env.HOME === undefined ? {} : { HOME: process.env.HOME }),
    BENCH_PORT: String(port),
    BENCH_BACKENDS: JSON.stringify(backends),
    BENCH_TIME_SCALE: String(timeScale),
    BENCH_UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, tracked, 30_000);
  return { url, pid: tracked.pid, process: tracked, stop: () => stopProcess(tracked) };
}

function balancerReplica(server: Server): Replica {
  return { url: server.url, pid: server.process.pid, process: server.process, stop: () => server.stop() };
}

/** Why a replica process is gone (exit code or signal, and the end of its stderr), or undefined while it runs. */
function exited(tracked: Tracked): string | undefined {
  const { child } = tracked;
  if (child.exitCode === null && child.signalCode === null) return undefined;
  return `exited (${child.exitCode ?? child.signalCode}): ${tracked.stderrTail().trim().split('\n').slice(-3).join(' / ')}`;
}

/**
 * Starts a replica and checks, a moment after it answered, that it is still running: on a shared machine
 * the free port picked for it can be taken by another process before it listens (it then exits with
 * EADDRINUSE, and whatever holds the port may have answered its health check). Three tries.
 */
async function startChecked(start: () => Promise<Replica>, tries = 3): Promise<Replica> {
  for (let attempt = 1; ; attempt++) {
    let replica: Replica | undefined;
    try {
      replica = await start();
      await sleep(150);
      const gone = exited(replica.process);
      if (gone === undefined) return replica;
      throw new Error(gone);
    } catch (error) {
      await replica?.stop();
      if (attempt >= tries) throw error;
      process.stderr.write(`bench: a replica did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); trying again\n`);
    }
  }
}

/** Another try when a helper (nginx, redis-server) could not start, e.g. because its free port was taken meanwhile. */
async function retried<T>(start: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= tries) throw error;
      process.stderr.write(`bench: could not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); trying again\n`);
    }
  }
}

/** Waits until every replica's /status says it shares state with all the others. */
async function waitShared(replicas: Replica[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(
      replicas.map(async (replica) => {
        try {
          const response = await fetch(`${replica.url}/status`, { headers: { 'api-key': clientKey }, signal: AbortSignal.timeout(1000) });
          return ((await response.json()) as { sharedState?: { mode?: string; peers?: number } }).sharedState;
        } catch {
          return undefined;
        }
      }),
    );
    if (views.every((view) => view?.mode === 'shared' && view.peers === replicas.length - 1)) return;
    if (Date.now() > deadline) throw new Error(`replicas did not all share state within ${timeoutMs} ms: ${JSON.stringify(views)}`);
    await sleep(50);
  }
}

/** The default 100-ms refresh in simulated time (the setting's floor is 10 ms). */
function sharedRefreshMs(timeScale: number): string {
  return String(Math.max(10, Math.round(sharedStateDefaults.SHARED_STATE_REFRESH_MS / timeScale)));
}

export function replicasContender(options: ReplicasOptions): Contender {
  const describe =
    options.kind === 'litellm-like'
      ? `${options.replicas} × bench/litellm-like.ts (LiteLLM router defaults per pod: simple-shuffle, num_retries 2, 429 → cooldown 5 s ÷ time scale, in-memory state) behind the front`
      : `${options.replicas} × templates/balancer/dist/main.js (WORKERS=1, defaults except HTTP_TIMEOUT_SECONDS and REQUEST_WINDOW_SECONDS = 10 / time scale)${options.shared ? ', SHARED_STATE_URL on one redis-server, SHARED_STATE_REFRESH_MS = the default 100 ms ÷ time scale (at least 10), so that the refresh keeps its real-time ratio to the request window' : ', no shared state'}${options.front === false ? '' : ' behind the front'}`;
  return {
    name: options.name,
    version: () => '',
    describe,
    async start({ backends, deployment, upstreamTimeoutMs, timeScale }) {
      let redis: Redis | undefined;
      let front: Front | undefined;
      const replicas: Replica[] = [];
      const stop = async (): Promise<void> => {
        await front?.stop();
        await Promise.all(replicas.map((replica) => replica.stop()));
        await redis?.stop();
      };
      try {
        if (options.shared) redis = await retried(() => startRedis());
        const env: Record<string, string> = {
          HTTP_TIMEOUT_SECONDS: String(upstreamTimeoutMs / 1000),
          REQUEST_WINDOW_SECONDS: requestWindowSeconds(timeScale),
          WORKERS: '1',
        };
        if (redis !== undefined) {
          env.SHARED_STATE_URL = redis.url;
          env.SHARED_STATE_REFRESH_MS = sharedRefreshMs(timeScale);
        }
        // Every start is waited for, and each replica joins the list as soon as it runs, so that stop() ends
        // all of them when one fails (a replica left running would keep the bench from exiting).
        const started = await Promise.allSettled(
          Array.from({ length: options.replicas }, async () => {
            const replica = await startChecked(async () =>
              options.kind === 'litellm-like'
                ? startLitellmLike(backends, timeScale, upstreamTimeoutMs)
                : balancerReplica(await startBalancer({ backends, env })),
            );
            replicas.push(replica);
          }),
        );
        const failed = started.find((result) => result.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
        if (redis !== undefined) await waitShared(replicas);
        if (options.front !== false) {
          const urls = replicas.map((replica) => replica.url);
          front = await retried(() => startFront(urls, upstreamTimeoutMs * 4));
        }
      } catch (error) {
        await stop();
        throw error;
      }
      const origin = front?.url ?? replicas[0]!.url;
      const headers: Record<string, string> = options.kind === 'aoai-lb' ? { 'api-key': clientKey } : {};
      const counts = async (replica: Replica): Promise<ReplicaCounts> => {
        if (options.kind === 'litellm-like') {
          const body = (await (await fetch(`${replica.url}/__bench/counts`, { signal: AbortSignal.timeout(2000) })).json()) as {
            requests: number;
            attempts: number;
            upstream429: number;
            retries: number;
          };
          return { requests: body.requests, attempts: body.attempts, throttled: body.upstream429, failovers: body.retries };
        }
        const status = (await (
          await fetch(`${replica.url}/status`, { headers: { 'api-key': clientKey }, signal: AbortSignal.timeout(2000) })
        ).json()) as BalancerStatus;
        const rows = status.backends.flatMap((backend) => backend.deployments);
        const sum = (key: 'requests' | 'throttled' | 'failovers'): number => rows.reduce((total, row) => total + row[key], 0);
        return {
          requests: Object.values(status.responses).reduce((total, count) => total + count, 0),
          attempts: sum('requests'),
          throttled: sum('throttled'),
          failovers: sum('failovers'),
          ...(status.sharedState === undefined ? {} : { sharedMode: status.sharedState.mode }),
        };
      };
      const inspect = async (): Promise<ReplicaCounts[]> =>
        Promise.all(
          replicas.map(async (replica) => {
            const gone = exited(replica.process);
            if (gone !== undefined) return { requests: 0, attempts: 0, throttled: 0, failovers: 0, problem: gone };
            try {
              return await counts(replica);
            } catch (error) {
              return {
                requests: 0,
                attempts: 0,
                throttled: 0,
                failovers: 0,
                problem: `did not answer: ${error instanceof Error ? error.message : String(error)}`,
              };
            }
          }),
        );
      return {
        inspect,
        pids: () => [...(front?.pids() ?? []), ...replicas.map((replica) => replica.pid), ...(redis === undefined ? [] : [redis.pid])],
        targets: (body) => [{ origin, path: azurePath(deployment), headers, body }],
        stop,
      };
    },
  };
}
