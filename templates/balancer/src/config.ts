/** The balancer's configuration, read from the environment and validated at start. */
import { isIP } from 'node:net';
import { readClientAuth, type ClientAuthMode } from './client-auth-config.js';
import { defaults, type LogFormat } from './defaults.js';
import { readSetting } from './secret-file.js';
import type { EntraSettings } from './entra-token.js';
import { readSharedState, readWorkers, type SharedStateConfig } from './shared-state/config.js';

export { defaults };

export interface BackendConfig {
  /** The n of BACKEND_<n>_URL, as a string ("1", "2", …); used in logs, metrics and /status. */
  id: string;
  url: URL;
  priority: number;
  apiKey: string | undefined;
  deploymentName: string | undefined;
}

export type { LogFormat };

export interface BalancerConfig {
  host: string;
  port: number;
  backends: BackendConfig[];
  azureClientId: string | undefined;
  clientAuth: ClientAuthMode;
  clientApiKeys: string[];
  allowAnonymous: boolean;
  /** Entra ID token checks; set when clientAuth is entra or both. */
  entra: EntraSettings | undefined;
  /** The longest silence allowed from a backend, before response headers and between body chunks. */
  httpTimeoutMs: number;
  maxBodyBytes: number;
  /** Longest a client may take to send its request headers, and between two chunks of its body. */
  clientHeaderTimeoutMs: number;
  clientBodyTimeoutMs: number;
  defaultCooldownMs: number;
  maxCooldownMs: number;
  circuitBaseMs: number;
  /** Azure's rolling request window: a remaining-requests reading of 0 holds a deployment until a slot frees in it. */
  requestWindowMs: number;
  logFormat: LogFormat;
  /** Set by SHARED_STATE_URL: replicas (and workers) share cooldowns, quota readings and reservations. */
  sharedState: SharedStateConfig | undefined;
  /** Processes serving the port in this replica. */
  workers: number;
}

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

const backendKey = /^BACKEND_(\d+)_(URL|PRIORITY|APIKEY|APIKEY_FILE|DEPLOYMENT_NAME)$/i;
type BackendField = 'URL' | 'PRIORITY' | 'APIKEY' | 'APIKEY_FILE' | 'DEPLOYMENT_NAME';

/** Parses the environment; throws ConfigError listing every problem, one per line, each naming its variable. */
export function loadConfig(env: Env): BalancerConfig {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const backends = readBackends(env, problems);
  const allowAnonymous = read.boolean('ALLOW_ANONYMOUS', false);
  const auth = readClientAuth(env, allowAnonymous, problems);
  const logFormat = (env.LOG_FORMAT ?? defaults.LOG_FORMAT).trim().toLowerCase();
  if (logFormat !== 'text' && logFormat !== 'json') problems.push(`LOG_FORMAT: "${env.LOG_FORMAT}" is not one of text, json.`);

  const sharedState = readSharedState(env, problems);
  const workers = readWorkers(env, sharedState !== undefined || Boolean(env.SHARED_STATE_URL?.trim() || env.SHARED_STATE_URL_FILE?.trim()), problems);

  const host = (env.HOST ?? defaults.HOST).trim() || defaults.HOST;
  if (!isHost(host)) {
    problems.push(
      `HOST: "${host}" is not an IP address or host name. Use 0.0.0.0 (every interface), 127.0.0.1 (this machine only) or another address of this machine.`,
    );
  }

  const config: BalancerConfig = {
    host,
    port: read.integer('PORT', defaults.PORT, 0, 65535),
    backends,
    azureClientId: nonEmpty(env.AZURE_CLIENT_ID),
    ...auth,
    httpTimeoutMs: read.number('HTTP_TIMEOUT_SECONDS', defaults.HTTP_TIMEOUT_SECONDS, 0.001) * 1000,
    maxBodyBytes: read.integer('MAX_BODY_BYTES', defaults.MAX_BODY_BYTES, 1),
    clientHeaderTimeoutMs: read.number('CLIENT_HEADER_TIMEOUT_SECONDS', defaults.CLIENT_HEADER_TIMEOUT_SECONDS, 0.001) * 1000,
    clientBodyTimeoutMs: read.number('CLIENT_BODY_TIMEOUT_SECONDS', defaults.CLIENT_BODY_TIMEOUT_SECONDS, 0.001) * 1000,
    defaultCooldownMs: read.number('DEFAULT_COOLDOWN_SECONDS', defaults.DEFAULT_COOLDOWN_SECONDS, 0) * 1000,
    maxCooldownMs: read.number('MAX_COOLDOWN_SECONDS', defaults.MAX_COOLDOWN_SECONDS, 0.001) * 1000,
    circuitBaseMs: read.number('CIRCUIT_BASE_SECONDS', defaults.CIRCUIT_BASE_SECONDS, 0.001) * 1000,
    requestWindowMs: read.number('REQUEST_WINDOW_SECONDS', defaults.REQUEST_WINDOW_SECONDS, 0.001, 60) * 1000,
    logFormat: logFormat as LogFormat,
    sharedState,
    workers,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const hostName = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** An IPv4 or IPv6 address, or a DNS name that is not a malformed dotted quad (999.1.1.1). */
function isHost(value: string): boolean {
  if (isIP(value) !== 0) return true;
  return hostName.test(value) && !/^[\d.]+$/.test(value);
}

function readBackends(env: Env, problems: string[]): BackendConfig[] {
  const byId = new Map<string, Partial<Record<BackendField, string>>>();
  for (const [name, value] of Object.entries(env)) {
    const match = backendKey.exec(name);
    if (!match || value === undefined) continue;
    const id = String(Number(match[1]));
    const field = match[2]!.toUpperCase() as BackendField;
    byId.set(id, { ...byId.get(id), [field]: value.trim() });
  }
  if (byId.size === 0) {
    problems.push('BACKEND_1_URL: no backend configured. Set BACKEND_1_URL (and BACKEND_2_URL, …) to your Azure OpenAI endpoints.');
    return [];
  }
  const backends: BackendConfig[] = [];
  for (const id of [...byId.keys()].sort((a, b) => Number(a) - Number(b))) {
    const fields = byId.get(id)!;
    const url = parseBackendUrl(id, fields.URL, problems);
    const priority = parsePriority(id, fields.PRIORITY, problems);
    const apiKey = readBackendKey(id, fields, problems);
    if (url && priority !== undefined && apiKey.ok) {
      backends.push({ id, url, priority, apiKey: apiKey.value, deploymentName: nonEmpty(fields.DEPLOYMENT_NAME) });
    }
  }
  return backends;
}

/** BACKEND_<n>_APIKEY, or the content of the file BACKEND_<n>_APIKEY_FILE names (trimmed: one key, one line). */
function readBackendKey(id: string, fields: Partial<Record<BackendField, string>>, problems: string[]): { ok: boolean; value: string | undefined } {
  const name = `BACKEND_${id}_APIKEY`;
  const before = problems.length;
  const raw = readSetting(name, fields.APIKEY, fields.APIKEY_FILE, problems);
  if (problems.length > before) return { ok: false, value: undefined };
  const value = nonEmpty(raw);
  if (fields.APIKEY_FILE && value === undefined) {
    problems.push(`${name}_FILE: "${fields.APIKEY_FILE}" is empty. Put the backend's key in it, or leave ${name}_FILE out to use the managed identity.`);
    return { ok: false, value: undefined };
  }
  if (fields.APIKEY_FILE && /[\r\n]/.test(value!)) {
    problems.push(`${name}_FILE: "${fields.APIKEY_FILE}" holds more than one line; put only the backend's key in it.`);
    return { ok: false, value: undefined };
  }
  return { ok: true, value };
}

function parseBackendUrl(id: string, raw: string | undefined, problems: string[]): URL | undefined {
  const name = `BACKEND_${id}_URL`;
  if (!raw) {
    problems.push(`${name}: missing, but other BACKEND_${id}_* variables are set. Set it to the backend's endpoint, e.g. https://my-openai.openai.azure.com/.`);
    return undefined;
  }
  const shown = raw.replace(/\/\/[^/@]*@/, '//***@');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name}: "${shown}" is not a URL. Use the endpoint's full address, e.g. https://my-openai.openai.azure.com/.`);
    return undefined;
  }
  if (url.username || url.password) {
    problems.push(`${name}: must not carry credentials in the URL; put the key in BACKEND_${id}_APIKEY.`);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`${name}: "${shown}" must start with https:// (or http:// for a local backend).`);
    return undefined;
  }
  if (url.search || url.hash) {
    problems.push(`${name}: must not have a query or fragment; the client's query is passed on as it is.`);
    return undefined;
  }
  return url;
}

function parsePriority(id: string, raw: string | undefined, problems: string[]): number | undefined {
  if (raw === undefined || raw === '') return 1;
  if (!/^-?\d+$/.test(raw)) {
    problems.push(`BACKEND_${id}_PRIORITY: "${raw}" is not an integer. Lower numbers are preferred; the default is 1.`);
    return undefined;
  }
  return Number(raw);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  number(name: string, fallback: number, min: number, max = Infinity): number {
    const raw = this.env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
      this.problems.push(`${name}: "${raw}" is not a number ${range}. The default is ${fallback}.`);
      return fallback;
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name}: "${raw}" is not a whole number from ${min} to ${max}. The default is ${fallback}.`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${name}: "${this.env[name]}" is not true or false.`);
    return fallback;
  }
}
