/**
 * A real balancer in this process in front of real backends on 127.0.0.1 — simulators or recording
 * backends — with the balancer's log lines captured, and the official openai clients pointed at it.
 */
import { AzureOpenAI, OpenAI } from 'openai';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { loadConfig, startBalancer, type RunningBalancer } from '../../templates/balancer/src/main.js';
import type { BalancerStatus } from '../../templates/balancer/src/status.js';

export const clientKey = 'client-key-for-tests';
export const apiVersion = '2024-10-21';

export interface BackendSpec {
  /** A URL of a backend started by the test; otherwise a simulator is started. */
  url?: string;
  simulator?: SimulatorOptions;
  apiKey?: string | null;
  priority?: number;
  deploymentName?: string;
}

export interface Topology {
  url: string;
  simulators: Simulator[];
  balancer: RunningBalancer;
  logs: string[];
  azure(options?: { maxRetries?: number; deployment?: string }): AzureOpenAI;
  v1(options?: { maxRetries?: number }): OpenAI;
  status(): Promise<BalancerStatus>;
  close(): Promise<void>;
}

const simulatorKey = 'simulator-key';

/** Starts a simulator for every spec without a URL; the BACKEND_<n>_* variables for them all. */
export async function startBackends(backends: BackendSpec[]): Promise<{ env: Record<string, string>; simulators: Simulator[] }> {
  const simulators: Simulator[] = [];
  const env: Record<string, string> = {};
  try {
    for (const [index, spec] of backends.entries()) {
      const n = index + 1;
      let url = spec.url;
      if (url === undefined) {
        const simulator = await startSimulator({ apiKeys: [simulatorKey], latency: 'none', ...spec.simulator });
        simulators.push(simulator);
        url = simulator.url;
      }
      env[`BACKEND_${n}_URL`] = url;
      const key = spec.apiKey === undefined ? simulatorKey : spec.apiKey;
      if (key !== null) env[`BACKEND_${n}_APIKEY`] = key;
      if (spec.priority !== undefined) env[`BACKEND_${n}_PRIORITY`] = String(spec.priority);
      if (spec.deploymentName !== undefined) env[`BACKEND_${n}_DEPLOYMENT_NAME`] = spec.deploymentName;
    }
  } catch (error) {
    await Promise.all(simulators.map((simulator) => simulator.close()));
    throw error;
  }
  return { env, simulators };
}

export async function startTopology(backends: BackendSpec[], env: Record<string, string> = {}): Promise<Topology> {
  const started = await startBackends(backends);
  const { simulators } = started;
  const balancerEnv: Record<string, string> = { HOST: '127.0.0.1', PORT: '0', CLIENT_API_KEYS: clientKey, ...env, ...started.env };
  const logs: string[] = [];
  const balancer = await startBalancer(loadConfig(balancerEnv), { writeLog: (line) => logs.push(line) });
  const url = balancer.url;
  return {
    url,
    simulators,
    balancer,
    logs,
    azure: (options = {}) =>
      new AzureOpenAI({ endpoint: url, apiKey: clientKey, apiVersion, maxRetries: options.maxRetries ?? 0, deployment: options.deployment }),
    v1: (options = {}) => new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: clientKey, maxRetries: options.maxRetries ?? 0 }),
    async status() {
      const response = await fetch(`${url}/status`, { headers: { 'api-key': clientKey } });
      return (await response.json()) as BalancerStatus;
    },
    async close() {
      await balancer.close();
      await Promise.all(simulators.map((simulator) => simulator.close()));
    },
  };
}

export function admitted(simulator: Simulator, deployment = 'chat'): number {
  return simulator.stats().deployments.find((stats) => stats.name === deployment)?.admitted ?? 0;
}

export function requestsSeen(simulator: Simulator, deployment = 'chat'): number {
  return simulator.stats().deployments.find((stats) => stats.name === deployment)?.requests ?? 0;
}

export const hello = [{ role: 'user' as const, content: 'Hello' }];
