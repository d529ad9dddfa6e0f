/**
 * The balancer's live state: GET {CONTAINER_APP_URL}/status with the client key, which is read from the
 * app's `client-api-keys` secret (never printed). Each backend is named by the account whose endpoint it is.
 */
import type { ArmContext } from '../../azure/clients.js';
import { containerAppSecrets } from '../../azure/containerapps.js';
import { clientKeySecret } from '../../core/balancer-environment.js';
import { httpFetch } from '../../core/http.js';
import type { BalancerStatus } from '../../../templates/balancer/dist/main.js';
import type { BalancerSharedState, BalancerView, StatusAccount } from './snapshot.js';

/** How status authenticates to the balancer: its client key, or (CLIENT_AUTH=entra) the signed-in user's Entra ID token. */
export type BalancerCredential = { key: string } | { token: () => Promise<string> };

export async function clientKeyOf(arm: ArmContext, group: string, app: string): Promise<string | undefined> {
  const secrets = await containerAppSecrets(arm, group, app);
  return secrets.get(clientKeySecret)?.split(',')[0]?.trim() || undefined;
}

/** The user's token for the balancer's audience (what a keyless balancer accepts). */
export function userToken(arm: ArmContext): () => Promise<string> {
  return async () => (await arm.credential.getToken('https://cognitiveservices.azure.com/.default'))!.token;
}

export async function balancerView(url: string, credential: BalancerCredential | undefined, accounts: StatusAccount[]): Promise<BalancerView> {
  if (!credential) return { reachable: false, error: `the app has no ${clientKeySecret} secret to authenticate with` };
  let response;
  try {
    const headers: Record<string, string> = 'key' in credential ? { 'api-key': credential.key } : { authorization: `Bearer ${await credential.token()}` };
    response = await httpFetch(`${url.replace(/\/+$/, '')}/status`, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { reachable: false, error: `${error instanceof Error ? error.message : String(error)}${cause}` };
  }
  if (response.status !== 200) {
    await response.arrayBuffer().catch(() => undefined);
    const refusedToken = response.status === 401 && 'token' in credential;
    return {
      reachable: false,
      error: `GET /status answered HTTP ${response.status}${refusedToken ? ': the balancer takes Entra ID tokens and refused yours; add your object id (`az ad signed-in-user show --query id`) to `up --allowed-client-ids`' : ''}`,
    };
  }
  const status = (await response.json()) as BalancerStatus & { sharedState?: unknown };
  const shared = status.sharedState;
  const byEndpoint = new Map(accounts.filter((a) => a.endpoint).map((a) => [normalize(a.endpoint), a.name]));
  return {
    reachable: true,
    uptimeSeconds: status.uptimeSeconds,
    responses: status.responses,
    backends: status.backends.map((backend) => {
      const account = byEndpoint.get(normalize(backend.url));
      return account ? { ...backend, account } : backend;
    }),
    ...(isSharedState(shared) ? { sharedState: shared } : {}),
  };
}

const isSharedState = (value: unknown): value is BalancerSharedState =>
  typeof value === 'object' && value !== null && typeof (value as { mode?: unknown }).mode === 'string';

const normalize = (url: string): string => url.toLowerCase().replace(/\/+$/, '');
