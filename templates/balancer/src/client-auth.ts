/**
 * Client authentication, by CLIENT_AUTH: `keys` — a key in `api-key` or `Authorization: Bearer`, compared
 * in constant time with every configured key; `entra` — an Entra ID token in `Authorization: Bearer`,
 * checked by EntraVerifier; `both` — a bearer value that is a JWT is checked as a token, anything else
 * as a key. Both headers are stripped later, so no client credential ever reaches a backend.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errors, type AzureError } from './azure-errors.js';
import type { ClientAuthConfig } from './client-auth-config.js';
import { EntraVerifier, looksLikeJwt } from './entra-token.js';

export type AuthOutcome = { ok: true } | { ok: false; error: AzureError };

const allowed: AuthOutcome = { ok: true };

export class ClientAuth {
  readonly anonymous: boolean;
  private readonly digests: Buffer[];
  private readonly verifier: EntraVerifier | undefined;

  constructor(private readonly config: ClientAuthConfig) {
    this.anonymous = config.allowAnonymous;
    this.digests = config.clientApiKeys.map(digest);
    this.verifier = config.entra ? new EntraVerifier(config.entra) : undefined;
  }

  async check(headers: IncomingHttpHeaders): Promise<AuthOutcome> {
    if (this.anonymous) return allowed;
    const mode = this.config.clientAuth;
    const bearer = bearerValue(headers);
    if (this.verifier && bearer !== undefined && (mode === 'entra' || looksLikeJwt(bearer))) {
      const verdict = await this.verifier.verify(bearer);
      if (verdict.ok) return allowed;
      return { ok: false, error: verdict.check === 'keys-unavailable' ? errors.tokenKeysUnavailable() : errors.invalidToken(verdict.message) };
    }
    if (mode === 'entra') return { ok: false, error: errors.tokenRequired() };
    return this.isKnownKey(presentedKey(headers)) ? allowed : { ok: false, error: errors.unauthorized() };
  }

  private isKnownKey(presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const candidate = digest(presented);
    let match = false;
    for (const known of this.digests) match = timingSafeEqual(candidate, known) || match;
    return match;
  }
}

function bearerValue(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const match = /^\s*Bearer\s+(.+)$/i.exec(authorization);
  return match ? match[1]!.trim() : undefined;
}

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  return bearerValue(headers);
}

function digest(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}
