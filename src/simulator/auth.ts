/**
 * Data-plane auth (aoai-data-plane.md §3.2): an `api-key` header, or `Authorization: Bearer <value>` where the
 * value is an API key (as the plain OpenAI client sends on v1) or a token that `acceptBearer` accepts.
 * With no keys and no acceptBearer configured, auth is off.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'bad-key' | 'bad-token';

export interface AuthConfig {
  apiKeys: string[];
  acceptBearer: ((token: string) => boolean) | undefined;
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function isKey(value: string, keys: string[]): boolean {
  return keys.some((key) => sameString(value, key));
}

export function authenticate(headers: IncomingHttpHeaders, config: AuthConfig): AuthResult {
  if (config.apiKeys.length === 0 && config.acceptBearer === undefined) return 'ok';
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string') return isKey(apiKey, config.apiKeys) ? 'ok' : 'bad-key';
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return 'bad-key';
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (!match) return 'bad-token';
  const token = match[1]!;
  if (isKey(token, config.apiKeys)) return 'ok';
  if (config.acceptBearer === undefined) return 'bad-token';
  try {
    return config.acceptBearer(token) ? 'ok' : 'bad-token';
  } catch {
    return 'bad-token';
  }
}
