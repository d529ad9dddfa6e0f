/**
 * The balancer's BACKEND_<n>_* environment (the reference sample's names, README "Configuration"), built
 * in one place for `up` (the container app's env), `dev` and `serve`.
 */

export interface BalancerBackend {
  url: string;
  /** Absent: the balancer's managed identity (or az login) gets a token. */
  apiKey?: string;
  priority?: number | string;
  deploymentName?: string;
}

/** BACKEND_1_URL, BACKEND_1_APIKEY, … in the order given (n from 1). */
export function balancerEnvironment(backends: readonly BalancerBackend[]): Record<string, string> {
  const env: Record<string, string> = {};
  backends.forEach((backend, index) => {
    const n = index + 1;
    env[`BACKEND_${n}_URL`] = backend.url;
    if (backend.priority !== undefined && backend.priority !== '') env[`BACKEND_${n}_PRIORITY`] = String(backend.priority);
    if (backend.apiKey !== undefined) env[`BACKEND_${n}_APIKEY`] = backend.apiKey;
    if (backend.deploymentName) env[`BACKEND_${n}_DEPLOYMENT_NAME`] = backend.deploymentName;
  });
  return env;
}

/**
 * The shared-state store the balancer's replicas share (SHARED_STATE_*): its URL (`rediss://host:port`, no
 * credentials), and with Entra ID auth the username Azure Managed Redis expects, the managed identity's
 * object (principal) id; the balancer takes a token for https://redis.azure.com/.default with AZURE_CLIENT_ID.
 */
export function sharedStateEnvironment(store: { url: string; auth: 'entra'; username: string }): Record<string, string> {
  return { SHARED_STATE_URL: store.url, SHARED_STATE_AUTH: store.auth, SHARED_STATE_USERNAME: store.username };
}

/** Every BACKEND_<n>_* variable (to drop them before setting others). */
export const isBackendVariable = (name: string): boolean => /^BACKEND_\d+_/i.test(name);

/** The container app's secret holding the client keys (comma-separated): `up` sets it, `status` and `wire-chat` read it. */
export const clientKeySecret = 'client-api-keys';
