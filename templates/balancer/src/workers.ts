/**
 * WORKERS > 1: this process becomes the primary of a node:cluster, forks that many workers of main.js that
 * share the port (the primary hands connections out round-robin), restarts a worker that dies, and passes
 * SIGTERM on. The workers share quota through the store (SHARED_STATE_URL, required for WORKERS > 1); each
 * is its own replica there.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { answerMetricsRequests } from './cluster-metrics.js';
import type { BalancerConfig, Env } from './config.js';
import { shownStoreUrl } from './shared-state/config.js';

const restartDelayMs = 1000;
export const workerConfigMessage = 'aoai-lb:worker-env';
const workerConfigRequest = 'aoai-lb:worker-env?';

/** In a worker: the environment the primary runs the balancer with. */
export function environmentFromPrimary(): Promise<Env> {
  return new Promise((resolve) => {
    const take = (message: unknown): void => {
      const { type, env } = (message ?? {}) as { type?: string; env?: Env };
      if (type !== workerConfigMessage || env === undefined) return;
      process.off('message', take);
      resolve(env);
    };
    process.on('message', take);
    process.send?.({ type: workerConfigRequest });
  });
}
const shutdownGraceMs = 30_000;

/** Runs the workers until SIGTERM or SIGINT; resolves to the exit code (a worker's, when none could start). */
export function runWorkers(config: BalancerConfig, env: Env, entry: string): Promise<number> {
  const say = (line: string): void => void process.stderr.write(`aoai-lb balancer: ${line}\n`);
  cluster.setupPrimary({ exec: fileURLToPath(entry), args: [] });
  let stopping = false;
  let listening = 0;
  const workers = new Set<Worker>();

  return new Promise<number>((resolve) => {
    const fork = (): void => {
      // The configuration goes over the IPC channel, not the environment: keys that `serve` read from files
      const worker = cluster.fork();
      // stays out of the workers' /proc/<pid>/environ too. The worker asks once it listens for the answer.
      worker.on('message', (message: { type?: string } | undefined) => {
        if (message?.type === workerConfigRequest) worker.send({ type: workerConfigMessage, env });
      });
      workers.add(worker);
      worker.once('listening', () => listening++);
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        if (stopping) {
          if (workers.size === 0) resolve(0);
          return;
        }
        if (listening === 0 && code !== 0) {
          // Nothing ever served: the configuration or the port is wrong, and every restart would fail the same way.
          stop();
          resolve(code ?? 1);
          return;
        }
        say(`worker ${worker.process.pid} ended (${signal ?? `exit code ${code}`}); starting another`);
        setTimeout(() => {
          if (!stopping) fork();
        }, restartDelayMs).unref();
      });
    };
    const stop = (): void => {
      stopping = true;
      for (const worker of workers) worker.process.kill('SIGTERM');
      setTimeout(() => resolve(0), shutdownGraceMs).unref();
      if (workers.size === 0) resolve(0);
    };
    say(
      `starting ${config.workers} workers on port ${config.port}, sharing state through ${config.sharedState ? shownStoreUrl(config.sharedState.url) : 'nothing'}`,
    );
    answerMetricsRequests();
    for (let i = 0; i < config.workers; i++) fork();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
