/**
 * The shared-state part of the configuration: SHARED_STATE_URL (or _FILE, since the URL may carry the
 * store's key), how to authenticate, how often to refresh, and WORKERS. Without SHARED_STATE_URL every
 * replica keeps its own state, as before, and WORKERS defaults to 1.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { readSetting } from '../secret-file.js';

export type SharedStateAuth = 'url' | 'entra';

export interface SharedStateConfig {
  url: URL;
  /** `url`: whatever the URL carries (a key as its password, or nothing); `entra`: the managed identity's token. */
  auth: SharedStateAuth;
  /** The Entra ID object id the store knows the identity by (Azure Managed Redis' username); from the token when unset. */
  username: string | undefined;
  /** Key prefix: balancers that share a store and a prefix share what they know of the same backends. */
  prefix: string;
  /** How often the local picture is refreshed from the store (cooldowns also arrive at once by publish). */
  refreshMs: number;
}

export const sharedStateDefaults = { SHARED_STATE_PREFIX: 'aoai-lb', SHARED_STATE_REFRESH_MS: 100 };
export const maxWorkers = 64;

type Env = Record<string, string | undefined>;

/** The URL as it may be shown: scheme, host, port and database, never the user or the key. */
export function shownStoreUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

export function readSharedState(env: Env, problems: string[]): SharedStateConfig | undefined {
  const raw = readSetting('SHARED_STATE_URL', env.SHARED_STATE_URL, env.SHARED_STATE_URL_FILE, problems)?.trim();
  const auth = (env.SHARED_STATE_AUTH ?? '').trim().toLowerCase() || 'url';
  if (auth !== 'url' && auth !== 'entra') problems.push(`SHARED_STATE_AUTH: "${env.SHARED_STATE_AUTH}" is not one of url, entra.`);
  if (raw === undefined) {
    for (const name of ['SHARED_STATE_AUTH', 'SHARED_STATE_USERNAME', 'SHARED_STATE_PREFIX', 'SHARED_STATE_REFRESH_MS']) {
      if (env[name]?.trim())
        problems.push(`${name}: set, but SHARED_STATE_URL is not; set SHARED_STATE_URL (e.g. redis://127.0.0.1:6379) or leave ${name} out.`);
    }
    return undefined;
  }
  const url = parseStoreUrl(raw, problems);
  const username = env.SHARED_STATE_USERNAME?.trim() || undefined;
  if (url && auth === 'entra' && (url.username || url.password)) {
    problems.push('SHARED_STATE_URL: carries a user or key, but SHARED_STATE_AUTH=entra signs in with the managed identity; take them out of the URL.');
  }
  if (username !== undefined && auth !== 'entra')
    problems.push('SHARED_STATE_USERNAME: only used with SHARED_STATE_AUTH=entra; put a key-based user in the URL instead.');
  const prefix = (env.SHARED_STATE_PREFIX ?? '').trim() || sharedStateDefaults.SHARED_STATE_PREFIX;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(prefix)) problems.push(`SHARED_STATE_PREFIX: "${prefix}" must be 1 to 64 letters, digits, ".", "_", ":" or "-".`);
  const refreshText = (env.SHARED_STATE_REFRESH_MS ?? '').trim();
  const refreshMs = refreshText === '' ? sharedStateDefaults.SHARED_STATE_REFRESH_MS : Number(refreshText);
  if (!Number.isInteger(refreshMs) || refreshMs < 10 || refreshMs > 10_000) {
    problems.push(
      `SHARED_STATE_REFRESH_MS: "${refreshText}" is not a whole number from 10 to 10000. The default is ${sharedStateDefaults.SHARED_STATE_REFRESH_MS}.`,
    );
  }
  if (!url) return undefined;
  return { url, auth: auth as SharedStateAuth, username, prefix, refreshMs };
}

function parseStoreUrl(raw: string, problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push('SHARED_STATE_URL: is not a URL. Use redis://host:6379 or rediss://host:10000 (TLS).');
    return undefined;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    problems.push(`SHARED_STATE_URL: must start with redis:// or rediss:// (TLS), not ${url.protocol}//.`);
    return undefined;
  }
  if (!url.hostname) {
    problems.push('SHARED_STATE_URL: names no host. Use redis://host:6379 or rediss://host:10000 (TLS).');
    return undefined;
  }
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) {
    problems.push(`SHARED_STATE_URL: the path "${url.pathname}" is not a database number such as /0.`);
    return undefined;
  }
  return url;
}

/**
 * WORKERS: processes per replica, sharing the port. Default: the container's CPUs with shared state, else 1
 * (workers without a shared store would each keep their own picture of the quota).
 */
export function readWorkers(env: Env, shared: boolean, problems: string[]): number {
  const text = (env.WORKERS ?? '').trim();
  if (text === '') return shared ? containerCpus() : 1;
  const workers = Number(text);
  if (!Number.isInteger(workers) || workers < 1 || workers > maxWorkers) {
    problems.push(`WORKERS: "${text}" is not a whole number from 1 to ${maxWorkers}.`);
    return 1;
  }
  if (workers > 1 && !shared) {
    problems.push(`WORKERS: ${workers} workers without SHARED_STATE_URL would each learn quota on their own; set SHARED_STATE_URL, or WORKERS=1.`);
  }
  return workers;
}

/** The CPUs the container may use: its cgroup v2 quota (cpu.max) when set, else what Node sees, at least 1. */
export function containerCpus(cpuMaxPath = '/sys/fs/cgroup/cpu.max'): number {
  const seen = Math.max(1, availableParallelism());
  let text: string;
  try {
    text = readFileSync(cpuMaxPath, 'utf8');
  } catch {
    return seen;
  }
  const [quota, period] = text.trim().split(/\s+/);
  const cpus = Number(quota) / Number(period);
  if (quota === 'max' || !Number.isFinite(cpus) || cpus <= 0) return seen;
  return Math.max(1, Math.min(seen, Math.ceil(cpus)));
}
