/**
 * Portkey AI gateway (npm @portkey-ai/gateway, pinned in package.json) as its own process:
 * `node node_modules/@portkey-ai/gateway/build/start-server.js --headless --port=N` (its package's bin).
 * Configured per request with the x-portkey-config header: `loadbalance` over the backends, each pick a
 * `fallback` group that starts at that backend and moves on to the others on 429 / 5xx / timeout — the
 * nearest Portkey gets to "spread, and fail over on 429" (peers.md §5). Azure targets reach the loopback
 * simulators through `custom_host` (…/openai). Its `retry` is left off: it sleeps on the same target, and
 * with `use_retry_after_header` the npm build answers 500 (peers.md §5a). Clients call /v1/chat/completions.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, startNode, stopProcess, waitForHttp } from '../processes.js';
import { apiVersion, type Backend, type Contender } from './types.js';

const require = createRequire(import.meta.url);

function packageDir(): string {
  return dirname(require.resolve('@portkey-ai/gateway/package.json'));
}

export function portkeyConfig(backends: Backend[], deployment: string, upstreamTimeoutMs: number): string {
  const target = (backend: Backend, index: number): Record<string, unknown> => ({
    provider: 'azure-openai',
    resource_name: `bench${index + 1}`,
    deployment_id: deployment,
    api_version: apiVersion,
    api_key: backend.apiKey,
    custom_host: `${backend.url}/openai`,
    request_timeout: upstreamTimeoutMs,
  });
  const rotated = (start: number): Record<string, unknown>[] =>
    backends.map((_, offset) => target(backends[(start + offset) % backends.length]!, (start + offset) % backends.length));
  const config = {
    strategy: { mode: 'loadbalance' },
    targets: backends.map((_, start) => ({
      weight: 1,
      strategy: { mode: 'fallback', on_status_codes: [408, 429, 500, 502, 503, 504] },
      targets: rotated(start),
    })),
  };
  return JSON.stringify(config);
}

export const portkey: Contender = {
  name: 'Portkey',
  version: () => `@portkey-ai/gateway ${(JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')) as { version: string }).version}`,
  describe:
    'build/start-server.js --headless; x-portkey-config: loadbalance over fallback groups (each starts at one backend, falls back to the others on 408/429/5xx), request_timeout = the shared upstream timeout, no retry; no client auth',
  async start({ backends, deployment, upstreamTimeoutMs }) {
    const port = await freePort();
    const entry = join(packageDir(), 'build', 'start-server.js');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: 'production' };
    if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
    const tracked = startNode('Portkey', [entry, '--headless', `--port=${port}`], env);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/`, tracked, 30_000);
    } catch (error) {
      await stopProcess(tracked);
      throw error;
    }
    const headers = { 'x-portkey-config': portkeyConfig(backends, deployment, upstreamTimeoutMs) };
    return {
      pids: () => [tracked.pid],
      targets: (body) => [{ origin: url, path: '/v1/chat/completions', headers, body }],
      stop: () => stopProcess(tracked),
    };
  },
};
