/**
 * nginx from Debian's package: round robin over the backends, the next upstream on error, timeout, 429 and
 * 500 (POST included: non_idempotent), upstream keep-alive, no response buffering (SSE). Its config, pid,
 * logs and temp files live in a temporary prefix, so no system nginx is touched. Installed with apt-get
 * when missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess, waitForHttp } from '../processes.js';
import { nginxConfig } from './nginx-config.js';
import { childPids, spawnTracked } from './spawn.js';
import { azurePath, type Contender } from './types.js';

const candidates = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

function findNginx(): string | undefined {
  const found = candidates.find((path) => existsSync(path));
  if (found !== undefined) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let binary: string | undefined;
let installNote: string | undefined;

/** The nginx binary; installs Debian's nginx-light with apt-get when there is none (apt-get update first if apt cannot find it). */
export function ensureNginx(log: (line: string) => void): string {
  binary ??= findNginx();
  if (binary !== undefined) return binary;
  log("nginx not found: installing Debian's nginx-light with apt-get (apt-get install -y nginx-light)");
  const install = (): void => {
    execFileSync('apt-get', ['install', '-y', 'nginx-light'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    install();
  } catch {
    log('apt-get install failed: running apt-get update once, then installing again');
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'pipe'] });
    install();
  }
  binary = findNginx();
  if (binary === undefined) throw new Error('apt-get install -y nginx-light ran, but no nginx binary was found');
  installNote = 'installed by this run with apt-get install -y nginx-light';
  log(`nginx installed: ${binary}`);
  return binary;
}

function versionText(): string {
  if (binary === undefined) return 'not installed';
  // nginx -v writes to stderr
  const result = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim();
}

/** The contender's nginx.conf: round robin over the backends, the next upstream on error, timeout, 429 and 500. */
export function contenderConfig(options: {
  prefix: string;
  port: number;
  backends: { url: string }[];
  apiKey: string;
  upstreamTimeoutMs: number;
  failTimeoutMs: number;
}): string {
  const failTimeout = Math.max(1, Math.round(options.failTimeoutMs / 1000));
  return nginxConfig({
    writtenBy: 'bench/contenders/nginx.ts',
    prefix: options.prefix,
    port: options.port,
    upstream: { name: 'aoai', servers: options.backends.map((backend) => `${new URL(backend.url).host} max_fails=1 fail_timeout=${failTimeout}s`) },
    healthPath: '/healthz',
    proxy: [
      'proxy_set_header Host $proxy_host',
      `proxy_set_header api-key "${options.apiKey}"`,
      'proxy_next_upstream error timeout http_429 http_500 non_idempotent',
    ],
    timeoutMs: options.upstreamTimeoutMs,
  });
}

export const nginx: Contender = {
  name: 'nginx',
  version: () =>
    `${binary === undefined ? 'not installed' : versionText().replace(/^nginx version: /, '')} (Debian package${installNote === undefined ? '' : `, ${installNote}`})`,
  describe:
    'worker_processes 1; round robin, max_fails=1 with fail_timeout 10 s ÷ time scale (at least 1 s: nginx counts it in seconds); proxy_next_upstream error timeout http_429 http_500 non_idempotent; keepalive 64; proxy_buffering off; no client auth',
  async start({ backends, deployment, upstreamTimeoutMs, timeScale }) {
    const path = ensureNginx((line) => process.stderr.write(`bench: ${line}\n`));
    const prefix = mkdtempSync(join(tmpdir(), 'aoai-lb-bench-nginx-'));
    mkdirSync(join(prefix, 'logs'));
    const port = await freePort();
    const apiKey = backends[0]?.apiKey ?? '';
    writeFileSync(
      join(prefix, 'nginx.conf'),
      contenderConfig({ prefix, port, backends, apiKey, upstreamTimeoutMs, failTimeoutMs: Math.max(1, Math.round(10_000 / timeScale)) }),
    );
    const tracked = spawnTracked('nginx', path, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { PATH: process.env.PATH });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/healthz`, tracked);
    } catch (error) {
      await stopProcess(tracked);
      rmSync(prefix, { recursive: true, force: true });
      throw error;
    }
    return {
      pids: () => [tracked.pid, ...childPids(tracked.pid)],
      targets: (body) => [{ origin: url, path: azurePath(deployment), headers: {}, body }],
      stop: async () => {
        await stopProcess(tracked);
        rmSync(prefix, { recursive: true, force: true });
      },
    };
  },
};
