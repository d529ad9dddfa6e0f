/** The container's entry point: configuration from the environment, then serve until SIGTERM. */
import cluster from 'node:cluster';
import { pathToFileURL } from 'node:url';
import { replicaMetrics } from './cluster-metrics.js';
import { ConfigError, loadConfig, type Env } from './config.js';
import { startBalancer, type RunningBalancer } from './server.js';
import { environmentFromPrimary, runWorkers } from './workers.js';

export { ConfigError, loadConfig, startBalancer };
export type { RunningBalancer };
export type { BalancerConfig } from './config.js';
export type { BalancerStatus } from './status.js';

const shutdownGraceMs = 30_000;

/** Runs the balancer in the foreground; resolves to the exit code (2 for bad configuration). */
export async function runBalancer(env: Env): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`aoai-lb balancer: invalid configuration, not starting:\n${error.problems.map((line) => `  ${line}`).join('\n')}\n`);
    return 2;
  }
  if (config.workers > 1 && cluster.isPrimary) return runWorkers(config, env, import.meta.url);
  let running: RunningBalancer;
  try {
    running = await startBalancer(config);
  } catch (error) {
    const why = listenProblem((error as { code?: string }).code, config.host, config.port);
    process.stderr.write(`aoai-lb balancer: cannot listen on ${config.host}:${config.port}: ${why ?? String(error)}\n`);
    return why === undefined ? 1 : 2;
  }
  const { logger, metrics } = running.balancer;
  if (cluster.isWorker) metrics.readWith(replicaMetrics(metrics.registry));
  process.once('exit', () => logger.flush());
  if (config.allowAnonymous) {
    logger.log('warn', 'ALLOW_ANONYMOUS=true: anyone who can reach this balancer can use its backends. Set CLIENT_API_KEYS to require a key.');
  }
  const firstWorker = !cluster.isWorker || cluster.worker?.id === 1;
  for (const backend of firstWorker ? config.backends : []) {
    logger.log('info', `Backend ${backend.id}: ${backend.url.href}`, {
      priority: backend.priority,
      auth: backend.apiKey === undefined ? 'managed-identity' : 'api-key',
      deployment_name: backend.deploymentName,
    });
  }
  logger.log('info', `aoai-lb balancer listening on ${running.url}`, { backends: config.backends.length });

  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logger.log('info', `${signal} received: finishing open requests, then stopping`);
      const force = setTimeout(() => resolve(0), shutdownGraceMs);
      force.unref();
      running.server.close(() => {
        void running.balancer.close().finally(() => {
          logger.flush();
          resolve(0);
        });
      });
      running.server.closeIdleConnections();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** Listen failures that the configuration caused (exit 2), with what to change; undefined for others. */
function listenProblem(code: string | undefined, host: string, port: number): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use; set PORT to a free port (0 picks one)`;
    case 'EACCES':
      return `permission denied for port ${port}; use a port above 1023`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine; set HOST to 0.0.0.0 or 127.0.0.1`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${host} does not resolve; set HOST to an address, e.g. 0.0.0.0 or 127.0.0.1`;
    default:
      return undefined;
  }
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  process.exitCode = await runBalancer(cluster.isWorker ? await environmentFromPrimary() : process.env);
  // A worker's channel to the primary would keep it alive once it has stopped serving.
  if (cluster.isWorker) cluster.worker?.disconnect();
}
