/**
 * How the CLI signs in to Azure: the logins an Azure developer already has, tried in a fixed order
 * (docs/azure.md): environment service principal → Azure CLI → azd → managed identity.
 * @azure/identity is imported on the first token request only, so `aoai-lb --help` never loads it.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { ExitCode, UserError } from '../core/errors.js';
import type { Cloud } from './cloud.js';

export type CredentialSource = 'environment' | 'azure-cli' | 'azd' | 'managed-identity';

/** Variables a managed-identity host sets (App Service, Functions, Container Apps, Arc, Cloud Shell, AKS). */
const managedIdentityHints = ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'IMDS_ENDPOINT', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_POD_IDENTITY_AUTHORITY_HOST'];

/** AZURE_TOKEN_CREDENTIALS values, as DefaultAzureCredential reads them, for the credentials this chain has. */
const namedSelections: Record<string, CredentialSource[]> = {
  dev: ['azure-cli', 'azd'],
  prod: ['environment', 'managed-identity'],
  environmentcredential: ['environment'],
  azureclicredential: ['azure-cli'],
  azuredeveloperclicredential: ['azd'],
  managedidentitycredential: ['managed-identity'],
};

/** A CLI login that does not answer in this time is treated as absent, as DefaultAzureCredential does. */
const cliTimeoutMs = 10_000;
/** A cached token is renewed this long before it expires, so a long `up` never sends a stale one. */
const renewBeforeExpiryMs = 5 * 60_000;

/**
 * Which credentials the chain tries, in order. Managed identity is left out unless the process runs
 * where one exists (or AZURE_TOKEN_CREDENTIALS asks for it): on a developer machine its IMDS request
 * can hang for many seconds before failing, and it could only ever run after every login failed.
 */
export function credentialSources(env: NodeJS.ProcessEnv = process.env): CredentialSource[] {
  const selection = env.AZURE_TOKEN_CREDENTIALS?.trim().toLowerCase();
  if (selection) {
    const sources = namedSelections[selection];
    if (!sources) {
      throw new UserError('credential-selection-invalid', `AZURE_TOKEN_CREDENTIALS "${env.AZURE_TOKEN_CREDENTIALS}" names no credential aoai-lb uses.`, {
        suggestion: 'use dev, prod, EnvironmentCredential, AzureCliCredential, AzureDeveloperCliCredential or ManagedIdentityCredential, or unset it',
        exitCode: ExitCode.usage,
      });
    }
    return sources;
  }
  const onManagedIdentityHost = managedIdentityHints.some((name) => Boolean(env[name]?.trim()));
  return ['environment', 'azure-cli', 'azd', ...(onManagedIdentityHost ? (['managed-identity'] as const) : [])];
}

/**
 * The credential every Azure call uses. Tokens are cached per scope and shared by concurrent callers,
 * because each SDK client asks on its own and one `az account get-access-token` takes about a second.
 */
export function azureCredential(cloud: Cloud, env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const sources = credentialSources(env);
  let chain: Promise<TokenCredential> | undefined;
  const cache = new Map<string, Promise<AccessToken>>();

  const requestToken = async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> => {
    chain ??= buildChain(sources, cloud, env);
    const token = await (await chain).getToken(scopes, options);
    if (!token) throw new Error('the credential chain returned no token');
    return token;
  };

  return {
    async getToken(scopes, options) {
      // A claims challenge or another tenant needs a fresh token, never the cached one.
      if (options?.claims || options?.tenantId) return requestToken(scopes, options);
      const key = [scopes].flat().sort().join(' ');
      const cached = cache.get(key);
      if (cached) {
        const token = await cached.catch(() => undefined);
        if (token && token.expiresOnTimestamp - Date.now() > renewBeforeExpiryMs) return token;
        const newer = cache.get(key);
        if (newer && newer !== cached) return newer;
      }
      const pending = requestToken(scopes, options);
      cache.set(key, pending);
      pending.catch(() => {
        if (cache.get(key) === pending) cache.delete(key);
      });
      return pending;
    },
  };
}

async function buildChain(sources: CredentialSource[], cloud: Cloud, env: NodeJS.ProcessEnv): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  const make = (source: CredentialSource): TokenCredential => {
    switch (source) {
      case 'environment':
        return new identity.EnvironmentCredential({ authorityHost: cloud.authorityHost });
      // The CLIs sign in to the cloud they are configured for (`az cloud set`, azd's cloud config).
      case 'azure-cli':
        return new identity.AzureCliCredential({ processTimeoutInMs: cliTimeoutMs });
      case 'azd':
        return new identity.AzureDeveloperCliCredential({ processTimeoutInMs: cliTimeoutMs });
      case 'managed-identity': {
        const clientId = env.AZURE_CLIENT_ID?.trim();
        return clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential();
      }
    }
  };
  return new identity.ChainedTokenCredential(...sources.map(make));
}

/** Gets one Resource Manager token, so a missing login is reported before any work starts. */
export async function signIn(credential: TokenCredential, cloud: Cloud): Promise<void> {
  try {
    await credential.getToken(cloud.resourceManagerScope);
  } catch (error) {
    // A missing module is an incomplete install (reported as such by the CLI), not a missing login.
    if (error instanceof UserError || (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw error;
    // The cause carries each credential's own reason (for --verbose); none of them contains a token.
    throw new UserError('not-logged-in', 'Not signed in to Azure: no Azure CLI, azd, environment or managed-identity credential gave a token.', {
      suggestion: 'run `az login` (or `azd auth login`), then retry',
      cause: error,
    });
  }
}
