/** The client-auth part of the configuration: CLIENT_AUTH, the client keys, and Entra ID's settings. */
import { defaultAudience, defaultAuthorityHost, type EntraSettings } from './entra-token.js';
import { readSetting } from './secret-file.js';

export type ClientAuthMode = 'keys' | 'entra' | 'both';

export interface ClientAuthConfig {
  clientAuth: ClientAuthMode;
  clientApiKeys: string[];
  allowAnonymous: boolean;
  /** Set when CLIENT_AUTH is entra or both. */
  entra: EntraSettings | undefined;
}

type Env = Record<string, string | undefined>;

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

export function readClientAuth(env: Env, allowAnonymous: boolean, problems: string[]): ClientAuthConfig {
  const mode = (env.CLIENT_AUTH ?? 'keys').trim().toLowerCase() || 'keys';
  if (mode !== 'keys' && mode !== 'entra' && mode !== 'both') {
    problems.push(`CLIENT_AUTH: "${env.CLIENT_AUTH}" is not one of keys, entra, both.`);
  }
  const clientAuth = (['keys', 'entra', 'both'].includes(mode) ? mode : 'keys') as ClientAuthMode;
  const keys = readClientKeys(env, problems);
  const clientApiKeys = keys.keys;
  if (clientAuth !== 'entra' && clientApiKeys.length === 0 && !allowAnonymous && keys.readable) {
    problems.push(
      keys.file !== undefined
        ? `CLIENT_API_KEYS_FILE: "${keys.file}" holds no keys. Put the keys clients must present in it, one a line or comma-separated.`
        : 'CLIENT_API_KEYS: not set. Set it (or CLIENT_API_KEYS_FILE, a file holding them) to one or more comma-separated keys that clients must present, ' +
            'set CLIENT_AUTH=entra to accept Entra ID tokens instead, ' +
            'or set ALLOW_ANONYMOUS=true to let anyone who knows the URL use the balancer.',
    );
  }
  if (clientAuth !== 'keys' && allowAnonymous) {
    problems.push(`ALLOW_ANONYMOUS: true turns client authentication off, which contradicts CLIENT_AUTH=${clientAuth}. Leave one of them out.`);
  }
  return { clientAuth, clientApiKeys, allowAnonymous, entra: clientAuth === 'keys' ? undefined : readEntra(env, problems) };
}

/**
 * CLIENT_API_KEYS (comma-separated) or CLIENT_API_KEYS_FILE (a file of keys separated by commas or newlines,
 * as a Docker or Kubernetes secret is mounted). `readable` is false when a problem was already reported.
 */
function readClientKeys(env: Env, problems: string[]): { keys: string[]; file: string | undefined; readable: boolean } {
  const file = env.CLIENT_API_KEYS_FILE?.trim() || undefined;
  const before = problems.length;
  const text = readSetting('CLIENT_API_KEYS', env.CLIENT_API_KEYS, env.CLIENT_API_KEYS_FILE, problems);
  const readable = problems.length === before;
  if (file === undefined) return { keys: list(text), file, readable };
  return {
    keys: (text ?? '')
      .split(/[,\r\n]/)
      .map((key) => key.trim())
      .filter(Boolean),
    file,
    readable,
  };
}

function readEntra(env: Env, problems: string[]): EntraSettings {
  const tenant = env.AZURE_TENANT_ID?.trim();
  const others = list(env.ALLOWED_TENANT_IDS);
  if (!tenant)
    problems.push(
      'AZURE_TENANT_ID: not set. CLIENT_AUTH=entra needs the tenant whose tokens are accepted (a GUID, e.g. from `az account show --query tenantId`).',
    );
  for (const [name, value] of [['AZURE_TENANT_ID', tenant], ...others.map((id) => ['ALLOWED_TENANT_IDS', id])] as const) {
    if (value && !guid.test(value)) problems.push(`${name}: "${value}" is not a tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47).`);
  }
  const authorityHost = (env.ENTRA_AUTHORITY_HOST?.trim() || defaultAuthorityHost).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(authorityHost)) problems.push(`ENTRA_AUTHORITY_HOST: "${authorityHost}" is not an origin such as ${defaultAuthorityHost}.`);
  const cooldown = Number(env.ENTRA_JWKS_COOLDOWN_SECONDS?.trim() || 30);
  if (!Number.isFinite(cooldown) || cooldown < 0)
    problems.push(`ENTRA_JWKS_COOLDOWN_SECONDS: "${env.ENTRA_JWKS_COOLDOWN_SECONDS}" is not a number of at least 0. The default is 30.`);
  return {
    tenantIds: [tenant ?? '', ...others].filter(Boolean),
    audiences: list(env.ENTRA_AUDIENCES).length > 0 ? list(env.ENTRA_AUDIENCES) : [defaultAudience],
    allowedClientIds: list(env.ALLOWED_CLIENT_IDS),
    requiredRole: env.REQUIRED_ROLE?.trim() || undefined,
    authorityHost,
    clockSkewSeconds: 60,
    jwksCooldownSeconds: Number.isFinite(cooldown) && cooldown >= 0 ? cooldown : 30,
  };
}
