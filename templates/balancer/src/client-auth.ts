/**
 * Client authentication: the key a client presents (`api-key: <key>` or `Authorization: Bearer <key>`)
 * is compared in constant time with every configured key; both headers are then stripped so that no
 * client credential ever reaches a backend.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export class ClientAuth {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[], readonly anonymous: boolean) {
    this.digests = keys.map(digest);
  }

  isAllowed(headers: IncomingHttpHeaders): boolean {
    if (this.anonymous) return true;
    const presented = presentedKey(headers);
    if (presented === undefined) return false;
    const candidate = digest(presented);
    let match = false;
    for (const known of this.digests) match = timingSafeEqual(candidate, known) || match;
    return match;
  }
}

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^\s*Bearer\s+(.+)$/i.exec(authorization);
    if (match) return match[1]!.trim();
  }
  return undefined;
}

function digest(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}
