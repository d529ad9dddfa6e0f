/**
 * Entra ID sign-in to the store (Azure Managed Redis, Azure Cache for Redis): the managed identity's token
 * for https://redis.azure.com is the password and the identity's object id the username. node-redis takes
 * a streaming provider: it re-authenticates its open connection with each new token, sent before the
 * old one expires. One provider serves one client: node-redis (6.3.1) subscribes to it again at each
 * reconnection's handshake without disposing the subscription it had, so a new subscription ends the one
 * before (else every reconnection would leave a renewal loop behind, fetching tokens and re-AUTHing for ever).
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
  /** Where tokens come from; the managed identity (or the developer's login) unless a test gives its own. */
  fetchToken?: () => Promise<AccessToken>;
}

export function entraCredentialsProvider(options: EntraCredentialsOptions): StreamingCredentialsProvider {
  const now = options.now ?? Date.now;
  let fetchToken = options.fetchToken;
  const next = async (): Promise<{ credentials: { username: string; password: string }; expiresAt: number }> => {
    fetchToken ??= tokenFetcher(await azureCredential(options.clientId), redisScope);
    const token = await fetchToken();
    const username = options.username ?? objectIdOf(token.token);
    return { credentials: { username, password: token.token }, expiresAt: token.expiresOnTimestamp };
  };
  let current: { dispose(): void } | undefined;
  return {
    type: 'streaming-credentials-provider',
    async subscribe(listener) {
      current?.dispose();
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
              if (disposed) return;
              listener.onNext(token.credentials);
              schedule(token.expiresAt, false);
            })
            .catch((error: unknown) => {
              if (disposed) return;
              options.onError(error);
              schedule(expiresAt, true);
            });
        }, wait);
        timer.unref();
      };
      schedule(first.expiresAt, false);
      const subscription = {
        dispose() {
          disposed = true;
          clearTimeout(timer);
        },
      };
      current = subscription;
      return [first.credentials, subscription];
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
