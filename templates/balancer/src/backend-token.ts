/**
 * Bearer tokens for backends without an API key: one credential per process (managed identity in
 * Azure, the developer's login locally), the token cached and refreshed before it expires. A refresh
 * runs once for all concurrent requests; while it runs, requests keep using the still-valid token.
 */
import type { TokenCredential } from '@azure/identity';

export const cognitiveServicesScope = 'https://cognitiveservices.azure.com/.default';

export interface AccessToken {
  token: string;
  expiresOnTimestamp: number;
  refreshAfterTimestamp?: number;
}

/** Refresh this long before expiry at most (MSAL refreshes its own cache 5 minutes ahead). */
const maxRefreshMarginMs = 4 * 60_000;
const retryAfterFailureMs = 5_000;

export class CachedToken {
  private current: AccessToken | undefined;
  private refreshAt = 0;
  private inFlight: Promise<AccessToken> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    const now = this.now();
    const current = this.current;
    if (current && now < this.refreshAt && now < current.expiresOnTimestamp) return current.token;
    if (current && now < current.expiresOnTimestamp) {
      this.refresh().catch(() => undefined);
      return current.token;
    }
    return (await this.refresh()).token;
  }

  private refresh(): Promise<AccessToken> {
    this.inFlight ??= this.fetchToken()
      .then((token) => {
        this.current = token;
        this.refreshAt = refreshTime(token, this.now());
        return token;
      })
      .catch((error: unknown) => {
        if (this.current) this.refreshAt = this.now() + retryAfterFailureMs;
        throw error;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}

function refreshTime(token: AccessToken, now: number): number {
  if (token.refreshAfterTimestamp !== undefined && token.refreshAfterTimestamp < token.expiresOnTimestamp) {
    return token.refreshAfterTimestamp;
  }
  const lifetime = token.expiresOnTimestamp - now;
  return token.expiresOnTimestamp - Math.min(maxRefreshMarginMs, lifetime / 2);
}

/**
 * In Azure (Container Apps sets IDENTITY_ENDPOINT and IDENTITY_HEADER) the managed identity, else the
 * DefaultAzureCredential chain so `aoai-lb serve` works with a developer's `az login`. @azure/identity
 * is loaded only when something needs it.
 */
export async function azureCredential(clientId: string | undefined, env = process.env): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  return env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT
    ? new identity.ManagedIdentityCredential(clientId ? { clientId } : {})
    : new identity.DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

/** A token for `scope` from the credential; a credential that returns none is an error. */
export function tokenFetcher(credential: TokenCredential, scope: string): () => Promise<AccessToken> {
  return async () => {
    const token = await credential.getToken(scope);
    if (!token) throw new Error('the credential returned no token');
    return token;
  };
}

export async function createBackendToken(clientId: string | undefined, env = process.env): Promise<CachedToken> {
  return new CachedToken(tokenFetcher(await azureCredential(clientId, env), cognitiveServicesScope));
}
