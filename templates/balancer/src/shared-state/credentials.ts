/**
 * Entra ID sign-in to the store (Azure Managed Redis, Azure Cache for Redis): the managed identity's token
 * for https://redis.azure.com is the password and the identity's object id the username. node-redis takes
 * a streaming provider: it re-authenticates its open connections with each new token, sent before the
 * old one expires.
 */
import type { StreamingCredentialsProvider } from '@redis/client/dist/lib/authx/credentials-provider.js';
import { decodeJwt } from 'jose';
import { azureCredential, tokenFetcher, type AccessToken } from '../backend-token.js';

export const redisScope = 'https://redis.azure.com/.default';

/** Refresh this long before expiry at most, half the lifetime for short-lived tokens. */
const maxRefreshMarginMs = 5 * 60_000;
const retryAfterFailureMs = 10_000;

export interface EntraCredentialsOptions {
  clientId: string | undefined;
  /** The object id to sign in as; read from the token's `oid` claim when unset. */
  username: string | undefined;
  /** Told when a new token could not be had (the old one still serves until it expires). */
  onError(error: unknown): void;
  now?: () => number;
}

export function entraCredentialsProvider(options: EntraCredentialsOptions): StreamingCredentialsProvider {
  const now = options.now ?? Date.now;
  let fetchToken: (() => Promise<AccessToken>) | undefined;
  const next = async (): Promise<{ credentials: { username: string; password: string }; expiresAt: number }> => {
    fetchToken ??= tokenFetcher(await azureCredential(options.clientId), redisScope);
    const token = await fetchToken();
    const username = options.username ?? objectIdOf(token.token);
    return { credentials: { username, password: token.token }, expiresAt: token.expiresOnTimestamp };
  };
  return {
    type: 'streaming-credentials-provider',
    async subscribe(listener) {
      const first = await next();
      let timer: NodeJS.Timeout | undefined;
      let disposed = false;
      const schedule = (expiresAt: number, failed: boolean): void => {
        if (disposed) return;
        const lifetime = Math.max(0, expiresAt - now());
        const wait = failed ? retryAfterFailureMs : Math.max(1000, lifetime - Math.min(maxRefreshMarginMs, lifetime / 2));
        timer = setTimeout(() => {
          next()
            .then((token) => {
              listener.onNext(token.credentials);
              schedule(token.expiresAt, false);
            })
            .catch((error: unknown) => {
              options.onError(error);
              schedule(expiresAt, true);
            });
        }, wait);
        timer.unref();
      };
      schedule(first.expiresAt, false);
      return [
        first.credentials,
        {
          dispose() {
            disposed = true;
            clearTimeout(timer);
          },
        },
      ];
    },
    onReAuthenticationError(error) {
      options.onError(error);
    },
  };
}

/** The `oid` claim of an Entra ID access token: Azure Managed Redis' username for that identity. */
function objectIdOf(token: string): string {
  let oid: unknown;
  try {
    oid = decodeJwt(token).oid;
  } catch {
    oid = undefined;
  }
  if (typeof oid !== 'string' || oid === '') {
    throw new Error("the managed identity token carries no object id (oid); set SHARED_STATE_USERNAME to the identity's object id");
  }
  return oid;
}
