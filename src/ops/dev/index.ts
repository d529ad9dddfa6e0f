/**
 * `aoai-lb dev`: the local topology. Steps: start the backends (simulators, unless real ones are given)
 * → start the balancer in front of them → optionally drive demo load → refresh the view from the
 * balancer's /status until told to stop → stop everything in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Server } from 'node:http';
import { balancerEnvironment } from '../../core/balancer-environment.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { DEFAULT_DEPLOYMENTS, startSimulator, type Simulator } from '../../simulator/index.js';
import { REQUEST_WINDOW_MS } from '../../simulator/rate-limiter.js';
import type { DevBackendInfo, DevOutput } from '../../ui/dev-output.js';
import type { ClientTotals, DevSnapshot } from './snapshot.js';
import { startDemoLoad, type DemoLoad } from './demo-load.js';
import { listenError } from './listen-error.js';
import { mergeStatuses } from './merged-status.js';
import { startReplicaSet } from './replica-set.js';

export { defaultDemoRps, DEMO_TIME_SCALE } from './demo-load.js';
import type { BalancerStatus, RunningBalancer } from '../../../templates/balancer/dist/main.js';

export interface RealBackend {
  url: string;
  /** Absent: the balancer's credential (managed identity / az login). */
  apiKey: string | undefined;
}

export interface DevSettings {
  /** Simulated backends to start; ignored when `realBackends` is non-empty. */
  backends: number;
  /** Tokens per minute of each simulated deployment. */
  tpm: number;
  host: string;
  port: number;
  timeScale: number;
  /** Requests per second of demo chat traffic; undefined: none. */
  demoLoadRps: number | undefined;
  realBackends: RealBackend[];
  clientKey: string | undefined;
  /** Balancer processes behind one port, sharing state through Redis; 1: the balancer in this process. */
  replicas: number;
}

export interface DevSession {
  readonly url: string;
  /** With --replicas: each replica's own URL and the store they share. */
  readonly replicaSet: { urls: string[]; store: string } | undefined;
  readonly clientKey: string;
  readonly backends: DevBackendInfo[];
  snapshot(): Promise<DevSnapshot | undefined>;
  /** Stops the demo load (if any), letting its open requests settle. */
  stopLoad(): Promise<void>;
  close(): Promise<void>;
}

/** 32 url-safe characters from the OS's random source. */
export function generateKey(): string {
  return randomBytes(24).toString('base64url');
}

interface StartedBackend {
  info: DevBackendInfo;
  apiKey: string | undefined;
  simulator: Simulator | undefined;
}

async function startBackends(settings: DevSettings): Promise<StartedBackend[]> {
  if (settings.realBackends.length > 0) {
    return settings.realBackends.map((backend, i) => ({
      info: { id: String(i + 1), url: backend.url, simulated: false },
      apiKey: backend.apiKey,
      simulator: undefined,
    }));
  }
  const deployments = DEFAULT_DEPLOYMENTS.map((d) => ({ ...d, tpm: settings.tpm }));
  const regions = ['East US', 'North Central US', 'East US 2', 'Sweden Central', 'West US', 'France Central'];
  const started = await Promise.allSettled(
    Array.from({ length: settings.backends }, async (_, i) => {
      const apiKey = generateKey();
      const simulator = await startSimulator({
        host: '127.0.0.1',
        port: 0,
        region: regions[i % regions.length],
        deployments,
        apiKeys: [apiKey],
        timeScale: settings.timeScale,
      });
      return { info: { id: String(i + 1), url: simulator.url, simulated: true }, apiKey, simulator };
    }),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.simulator.close() : undefined)));
    throw failed.reason;
  }
  return started.map((result) => (result as PromiseFulfilledResult<StartedBackend & { simulator: Simulator }>).value);
}

/** The balancer's environment: tuning knobs from the process, topology and keys from dev. */
export function balancerEnv(settings: DevSettings, backends: StartedBackend[], clientKey: string, base: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(base)) {
    if (!/^(BACKEND_\d+_.*|PORT|HOST|CLIENT_API_KEYS(_FILE)?|CLIENT_AUTH|ALLOW_ANONYMOUS)$/i.test(name)) env[name] = value;
  }
  env.HOST = settings.host;
  env.PORT = String(settings.port);
  env.CLIENT_API_KEYS = clientKey;
  // Simulators keep Azure's 10-s request window divided by the time scale; the balancer must count the same window.
  if (settings.realBackends.length === 0 && env.REQUEST_WINDOW_SECONDS === undefined)
    env.REQUEST_WINDOW_SECONDS = String(REQUEST_WINDOW_MS / 1000 / settings.timeScale);
  return {
    ...env,
    ...balancerEnvironment(
      backends.map((backend) => ({ url: backend.info.url, priority: 1, ...(backend.apiKey === undefined ? {} : { apiKey: backend.apiKey }) })),
    ),
  };
}

async function startFront(settings: DevSettings, env: Record<string, string | undefined>, writeLog: (line: string) => void): Promise<RunningBalancer> {
  const { loadConfig, startBalancer, ConfigError } = await import('../../../templates/balancer/dist/main.js');
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UserError('invalid-balancer-config', `the balancer cannot start: ${error.problems.join(' ')}`, {
      suggestion: 'check the --backend values (https://<name>.openai.azure.com=<key>) and the balancer settings in your environment',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  try {
    return await startBalancer(config, { writeLog });
  } catch (error) {
    throw listenError(settings, error);
  }
}

/** Counts the balancer's answers to clients (not to /status, /metrics, /healthz) by class. */
function tallyClientResponses(server: Server): ClientTotals {
  const totals: ClientTotals = { requests: 0, succeeded: 0, throttled: 0, failed: 0 };
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/status' || path === '/metrics' || path === '/healthz') return;
    res.once('finish', () => {
      totals.requests++;
      if (res.statusCode >= 200 && res.statusCode < 300) totals.succeeded++;
      else if (res.statusCode === 429) totals.throttled++;
      else totals.failed++;
    });
  });
  return totals;
}

/** What clients reach: the balancer in this process, or the round-robin front of the replicas. */
interface Front {
  url: string;
  server: Server;
  /** Where each balancer answers /status. */
  statusUrls: string[];
  replicaSet: DevSession['replicaSet'];
  close(): Promise<void>;
}

async function startSingle(settings: DevSettings, env: Record<string, string | undefined>, writeLog: (line: string) => void): Promise<Front> {
  const running = await startFront(settings, env, writeLog);
  return { url: running.url, server: running.server, statusUrls: [running.url], replicaSet: undefined, close: () => running.close() };
}

export async function startDev(settings: DevSettings, writeLog: (line: string) => void): Promise<DevSession> {
  const clientKey = settings.clientKey ?? generateKey();
  const backends = await startBackends(settings);
  const simulators = backends.flatMap((backend) => (backend.simulator ? [backend.simulator] : []));
  let front: Front;
  try {
    const env = balancerEnv(settings, backends, clientKey, process.env);
    front = settings.replicas > 1 ? await startReplicaSet(settings, env, writeLog) : await startSingle(settings, env, writeLog);
  } catch (error) {
    await Promise.all(simulators.map((simulator) => simulator.close()));
    throw error;
  }
  const totals = tallyClientResponses(front.server);
  const load: DemoLoad | undefined = settings.demoLoadRps === undefined ? undefined : startDemoLoad({ url: front.url, clientKey, rps: settings.demoLoadRps });
  const simulated = simulators.length > 0;

  let closing: Promise<void> | undefined;
  return {
    url: front.url,
    replicaSet: front.replicaSet,
    clientKey,
    backends: backends.map((backend) => backend.info),
    async snapshot() {
      const statuses = await Promise.all(front.statusUrls.map((url) => fetchStatus(url, clientKey)));
      const status = mergeStatuses(statuses.filter((one): one is BalancerStatus => one !== undefined));
      if (!status) return undefined;
      const snapshot: DevSnapshot = { url: front.url, status, totals: { ...totals } };
      if (simulated) {
        snapshot.deployments = DEFAULT_DEPLOYMENTS.map((d) => d.name);
        snapshot.timeScale = settings.timeScale;
        snapshot.limits = Object.fromEntries(
          backends.map((backend) => [backend.info.id, Object.fromEntries(backend.simulator!.stats().deployments.map((d) => [d.name, d.tpm]))]),
        );
      }
      if (load) snapshot.demoLoad = load.stats();
      return snapshot;
    },
    stopLoad: async () => load?.stop(),
    close() {
      closing ??= (async () => {
        await load?.stop();
        await front.close();
        await Promise.all(simulators.map((simulator) => simulator.close()));
      })();
      return closing;
    },
  };
}

async function fetchStatus(url: string, clientKey: string): Promise<BalancerStatus | undefined> {
  try {
    const response = await fetch(`${url}/status`, { headers: { 'api-key': clientKey }, signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    return (await response.json()) as BalancerStatus;
  } catch {
    return undefined;
  }
}

/**
 * Runs dev until `stop` aborts: shows the connection details, refreshes the output, then stops
 * everything it started and prints the summary.
 */
export async function runDev(settings: DevSettings, output: DevOutput, stop: AbortSignal): Promise<void> {
  const session = await startDev(settings, (line) => output.log(line));
  let last: DevSnapshot | undefined;
  try {
    output.ready({
      url: session.url,
      clientKey: session.clientKey,
      backends: session.backends,
      demoLoadRps: settings.demoLoadRps,
      timeScale: settings.timeScale,
      replicas: session.replicaSet,
    });
    while (!stop.aborted) {
      const snapshot = await session.snapshot();
      if (stop.aborted) break;
      if (snapshot) {
        last = snapshot;
        output.update(snapshot);
      }
      await delay(output.refreshMs, undefined, { signal: stop }).catch(() => undefined);
    }
  } finally {
    await session.stopLoad();
    last = (await session.snapshot()) ?? last;
    await session.close();
    output.finish(last);
  }
}
