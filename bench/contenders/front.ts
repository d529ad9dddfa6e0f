/**
 * The round-robin front of the replicas measure: Debian's nginx (as bench/contenders/nginx.ts runs it, in a
 * temporary prefix) in front of several replicas, plain round robin and nothing else — no retry at the
 * front (proxy_next_upstream off), no passive health check (max_fails=0), upstream keep-alive, no response
 * buffering. What Container Apps' ingress does for several replicas, as near as one machine gets.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess, waitForHttp } from '../processes.js';
import { ensureNginx } from './nginx.js';
import { nginxConfig } from './nginx-config.js';
import { childPids, spawnTracked } from './spawn.js';

export const frontDescription =
  'nginx (Debian package), worker_processes 1, plain round robin over the replicas: max_fails=0 (no passive health check), proxy_next_upstream off (no retry at the front), upstream keepalive 64, proxy_buffering off';

export function frontConfig(options: { prefix: string; port: number; replicas: string[]; timeoutMs: number }): string {
  return nginxConfig({
    writtenBy: 'bench/contenders/front.ts',
    prefix: options.prefix,
    port: options.port,
    upstream: { name: 'replicas', servers: options.replicas.map((url) => `${new URL(url).host} max_fails=0`) },
    healthPath: '/__front/healthz',
    proxy: ['proxy_set_header Host $http_host', 'proxy_next_upstream off'],
    timeoutMs: options.timeoutMs,
  });
}

export interface Front {
  url: string;
  pids(): number[];
  stop(): Promise<void>;
}

/** nginx round robin over `replicas` (their URLs); `timeoutMs` bounds the wait for a replica's answer. */
export async function startFront(replicas: string[], timeoutMs: number): Promise<Front> {
  const path = ensureNginx((line) => process.stderr.write(`bench: ${line}\n`));
  const prefix = mkdtempSync(join(tmpdir(), 'aoai-lb-bench-front-'));
  mkdirSync(join(prefix, 'logs'));
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), frontConfig({ prefix, port, replicas, timeoutMs }));
  const tracked = spawnTracked('nginx front', path, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { PATH: process.env.PATH });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopProcess(tracked);
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/__front/healthz`, tracked);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pids: () => [tracked.pid, ...childPids(tracked.pid)], stop };
}
