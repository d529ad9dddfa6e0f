/** The processes under measurement: the fast backend and the balancer (the built dist/main.js), on loopback. */
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, startNode, stopProcess, waitForHttp, type Tracked } from './processes.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const balancerEntry = fileURLToPath(new URL('../templates/balancer/dist/main.js', import.meta.url));
export const clientKey = 'bench-client-key';
export const backendKey = 'bench-backend-key';

export interface Server {
  readonly process: Tracked;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

/** Only what a process needs: no BACKEND_* or other settings leak in from the caller's environment. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  return env;
}

export async function startFastBackend(): Promise<Server> {
  const port = await freePort();
  const tracked = startNode('fast backend', ['--import', 'tsx', fileURLToPath(new URL('./fast-backend.ts', import.meta.url))], {
    ...baseEnv(),
    BENCH_PORT: String(port),
    BENCH_BACKEND_KEY: backendKey,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, tracked);
  return { process: tracked, url, stop: () => stopProcess(tracked) };
}

/** The reference proxy of measure 2 (bench/minimal-proxy.ts), in front of `backend`. */
export async function startMinimalProxy(backend: { url: string; apiKey: string }): Promise<Server> {
  const port = await freePort();
  const tracked = startNode('minimal proxy', ['--import', 'tsx', fileURLToPath(new URL('./minimal-proxy.ts', import.meta.url))], {
    ...baseEnv(),
    BENCH_PORT: String(port),
    BENCH_BACKEND_URL: backend.url,
    BENCH_BACKEND_KEY: backend.apiKey,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, tracked);
  return { process: tracked, url, stop: () => stopProcess(tracked) };
}

export interface BalancerOptions {
  backends: { url: string; apiKey: string }[];
  /** Write a V8 CPU profile of the balancer into this directory when it stops. */
  cpuProfileDir?: string;
  env?: Record<string, string>;
}

/** The NODE_OPTIONS the image sets (`ENV NODE_OPTIONS=…` in the Dockerfile), so the bench runs the balancer as Azure does. */
export function imageNodeOptions(): string | undefined {
  const dockerfile = readFileSync(fileURLToPath(new URL('../templates/balancer/Dockerfile', import.meta.url)), 'utf8');
  const match = /^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S+))\s*$/m.exec(dockerfile);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** `node templates/balancer/dist/main.js` configured through the environment, with the image's NODE_OPTIONS; its log goes to /dev/null. */
export async function startBalancer(options: BalancerOptions): Promise<Server> {
  const port = await freePort();
  const nodeOptions = imageNodeOptions();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
    HOST: '127.0.0.1',
    PORT: String(port),
    CLIENT_API_KEYS: clientKey,
    LOG_FORMAT: 'text',
    ...options.env,
  };
  options.backends.forEach((backend, index) => {
    env[`BACKEND_${index + 1}_URL`] = backend.url;
    env[`BACKEND_${index + 1}_APIKEY`] = backend.apiKey;
  });
  const args = [balancerEntry];
  if (options.cpuProfileDir !== undefined) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    args.unshift('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir);
  }
  const tracked = startNode('balancer', args, env);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, tracked);
  // A profile is only written on a clean exit: give the balancer its time to finish.
  return { process: tracked, url, stop: () => stopProcess(tracked, options.cpuProfileDir === undefined ? 3000 : 15_000) };
}
