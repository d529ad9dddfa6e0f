/**
 * Entra ID (Azure AD) bearer tokens from keyless clients, e.g. a chat app that asks for the scope
 * `https://cognitiveservices.azure.com/.default`. The header and payload are read untrusted first to
 * pick the tenant's signing keys; jose then checks signature, issuer, audience and lifetime. The verdict
 * never throws and its message never echoes the token.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose';

export interface EntraSettings {
  /** The first is AZURE_TENANT_ID, then ALLOWED_TENANT_IDS. */
  tenantIds: string[];
  audiences: string[];
  /** Empty: any client of an allowed tenant. Matched against appid (v1), azp (v2) or oid. */
  allowedClientIds: string[];
  requiredRole: string | undefined;
  authorityHost: string;
  clockSkewSeconds: number;
  /** Minimum time between JWKS refetches triggered by an unknown kid. */
  jwksCooldownSeconds: number;
}

export type TokenCheck =
  'malformed' | 'algorithm' | 'tenant' | 'signature' | 'issuer' | 'audience' | 'expired' | 'not-yet-valid' | 'client' | 'role' | 'keys-unavailable';

export type TokenVerdict = { ok: true; clientId: string; tenantId: string } | { ok: false; check: TokenCheck; message: string };

export const defaultAudience = 'https://cognitiveservices.azure.com';
export const defaultAuthorityHost = 'https://login.microsoftonline.com';

/** Node's default limit for all request headers together: a longer token never came through HTTP. */
const maxTokenLength = 16_384;
const jwksCacheMaxAgeMs = 24 * 60 * 60_000;
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Any failure to obtain the tenant's keys, as opposed to a token whose kid is not among them. */
class KeysUnavailable extends Error {}

export function looksLikeJwt(value: string): boolean {
  if (!jwtShape.test(value)) return false;
  try {
    return typeof decodeProtectedHeader(value).alg === 'string';
  } catch {
    return false;
  }
}

export class EntraVerifier {
  private readonly tenants: Set<string>;
  private readonly authorityHost: string;
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly fetchTimeoutMs: number;

  constructor(
    private readonly settings: EntraSettings,
    options: { fetchTimeoutMs?: number } = {},
  ) {
    this.tenants = new Set(settings.tenantIds.map((id) => id.toLowerCase()));
    this.authorityHost = settings.authorityHost.replace(/\/+$/, '');
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
  }

  async verify(token: string): Promise<TokenVerdict> {
    const untrusted = readUntrusted(token);
    if (!untrusted) return refuse('malformed', 'The bearer token is not a well-formed JWT.');
    if (untrusted.header.alg !== 'RS256') return refuse('algorithm', 'The token must be signed with RS256.');
    const { header, payload: claimed } = untrusted;
    // Entra always names its key (without a kid several keys could match, which jose leaves to us).
    if (typeof header.kid !== 'string' || typeof claimed.tid !== 'string' || typeof claimed.exp !== 'number') {
      return refuse('malformed', 'The token lacks a kid, tid or exp.');
    }
    const tenant = claimed.tid.toLowerCase();
    if (!this.tenants.has(tenant)) return refuse('tenant', "The token's tenant is not accepted by this balancer.");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keysFor(tenant), {
        algorithms: ['RS256'],
        issuer: this.issuers(tenant),
        audience: this.settings.audiences,
        clockTolerance: this.settings.clockSkewSeconds,
      }));
    } catch (error) {
      return this.refusal(error, tenant);
    }
    return this.authorize(payload, tenant);
  }

  private authorize(payload: JWTPayload, tenant: string): TokenVerdict {
    const ids = ['appid', 'azp', 'oid'].map((claim) => payload[claim]).filter((id): id is string => typeof id === 'string');
    const allowed = this.settings.allowedClientIds.map((id) => id.toLowerCase());
    if (allowed.length > 0 && !ids.some((id) => allowed.includes(id.toLowerCase()))) {
      return refuse('client', "The token's client application is not allowed to use this balancer.");
    }
    const role = this.settings.requiredRole;
    if (role !== undefined && !(Array.isArray(payload.roles) && payload.roles.includes(role))) {
      return refuse('role', `The token does not carry the role ${role} that this balancer requires.`);
    }
    const clientId = ids[0];
    if (clientId === undefined) return refuse('malformed', 'The token names no client application (appid, azp or oid).');
    return { ok: true, clientId, tenantId: tenant };
  }

  private issuers(tenant: string): string[] {
    // v1 tokens (what Entra issues for cognitiveservices) and v2 tokens.
    return [`https://sts.windows.net/${tenant}/`, `${this.authorityHost}/${tenant}/v2.0`];
  }

  private keysFor(tenant: string): JWTVerifyGetKey {
    let keys = this.keySets.get(tenant);
    if (!keys) {
      const remote = createRemoteJWKSet(new URL(`${this.authorityHost}/${tenant}/discovery/v2.0/keys`), {
        cooldownDuration: this.settings.jwksCooldownSeconds * 1000,
        cacheMaxAge: jwksCacheMaxAgeMs,
        timeoutDuration: this.fetchTimeoutMs,
      });
      keys = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          // A network error reaches us as a plain TypeError, so tag everything but an unknown kid here.
          if (codeOf(error) === 'ERR_JWKS_NO_MATCHING_KEY') throw error;
          throw new KeysUnavailable('JWKS unavailable', { cause: error });
        }
      };
      this.keySets.set(tenant, keys);
    }
    return keys;
  }

  private refusal(error: unknown, tenant: string): TokenVerdict {
    if (error instanceof KeysUnavailable) return this.keysUnavailable(tenant);
    switch (codeOf(error)) {
      case 'ERR_JWKS_TIMEOUT':
      case 'ERR_JWKS_INVALID':
      case 'ERR_JOSE_GENERIC':
        return this.keysUnavailable(tenant);
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return refuse('signature', `The token's signing key is not among the signing keys of tenant ${tenant}.`);
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return refuse('signature', `The token's signature does not verify against the signing keys of tenant ${tenant}.`);
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return refuse('algorithm', 'The token must be signed with RS256.');
      case 'ERR_JWT_EXPIRED':
        return refuse('expired', 'The token has expired.');
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        return this.claimRefusal(error, tenant);
      default:
        return refuse('malformed', 'The bearer token is not a well-formed JWT.');
    }
  }

  private claimRefusal(error: unknown, tenant: string): TokenVerdict {
    const { claim, reason } = error as { claim?: string; reason?: string };
    if (reason === 'invalid') return refuse('malformed', `The token's ${claim} claim is not valid.`);
    switch (claim) {
      case 'nbf':
        return refuse('not-yet-valid', 'The token is not valid yet (its nbf is in the future).');
      case 'iss':
        return refuse('issuer', `The token's issuer is not accepted for tenant ${tenant} (expected ${this.issuers(tenant).join(' or ')}).`);
      case 'aud':
        return refuse('audience', `The token's audience is not accepted by this balancer (expected ${this.settings.audiences.join(' or ')}).`);
      default:
        return refuse('malformed', 'The bearer token is not a well-formed JWT.');
    }
  }

  private keysUnavailable(tenant: string): TokenVerdict {
    return refuse('keys-unavailable', `The signing keys of tenant ${tenant} could not be fetched; try again later.`);
  }
}

/** Header and payload as the token claims them, before any signature check; undefined if not a JWT. */
function readUntrusted(token: string): { header: ProtectedHeaderParameters; payload: JWTPayload } | undefined {
  if (token.length > maxTokenLength || !looksLikeJwt(token)) return undefined;
  try {
    return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
  } catch {
    return undefined;
  }
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function refuse(check: TokenCheck, message: string): TokenVerdict {
  return { ok: false, check, message };
}
