/**
 * Several balancers (replicas) in this process, in front of the same backends, each with its own log and
 * clients: what Container Apps runs on several replicas, sharing state through one store when the
 * environment names one.
 */
import { AzureOpenAI } from 'openai';
import type { Simulator } from '../../src/simulator/index.js';
import { loadConfig, startBalancer, type RunningBalancer } from '../../templates/balancer/src/main.js';
import type { BalancerStatus } from '../../templates/balancer/src/status.js';
import { apiVersion, clientKey, startBackends, type BackendSpec } from './topology.js';

export interface Replica {
  url: string;
  running: RunningBalancer;
  logs: string[];
  azure(): AzureOpenAI;
  status(): Promise<BalancerStatus>;
  metrics(): Promise<string>;
}

export interface Replicas {
  simulators: Simulator[];
  replicas: Replica[];
  close(): Promise<void>;
}

export async function startReplicas(count: number, backends: BackendSpec[], env: Record<string, string>): Promise<Replicas> {
  const started = await startBackends(backends);
  const replicas: Replica[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(replicas.map((replica) => replica.running.close()));
    await Promise.all(started.simulators.map((simulator) => simulator.close()));
  };
  try {
    for (let i = 0; i < count; i++) {
      const logs: string[] = [];
      const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', CLIENT_API_KEYS: clientKey, ...env, ...started.env });
      const running = await startBalancer(config, { writeLog: (line) => logs.push(line), replica: `replica-${i + 1}` });
      const url = running.url;
      replicas.push({
        url,
        running,
        logs,
        azure: () => new AzureOpenAI({ endpoint: url, apiKey: clientKey, apiVersion, maxRetries: 0 }),
        async status() {
          const response = await fetch(`${url}/status`, { headers: { 'api-key': clientKey } });
          return (await response.json()) as BalancerStatus;
        },
        async metrics() {
          const response = await fetch(`${url}/metrics`, { headers: { 'api-key': clientKey } });
          return response.text();
        },
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { simulators: started.simulators, replicas, close };
}
