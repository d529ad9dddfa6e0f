/** The live state behind GET /status: per backend and deployment, as `aoai-lb status` and `dev` show it. */
import type { Balancer } from './balancer.js';

export interface DeploymentStatus {
  deployment: string;
  state: 'healthy' | 'cooling' | 'broken';
  cooldownRemainingMs: number;
  remainingTokens: number | null;
  remainingRequests: number | null;
  requests: number;
  throttled: number;
  errors: number;
  failovers: number;
  promptTokens: number;
  completionTokens: number;
}

export interface BackendStatus {
  id: string;
  url: string;
  priority: number;
  authentication: 'api-key' | 'managed-identity';
  deploymentName: string | null;
  state: 'healthy' | 'broken';
  brokenRemainingMs: number;
  deployments: DeploymentStatus[];
}

export interface BalancerStatus {
  status: 'ok';
  uptimeSeconds: number;
  /** Responses to proxied requests and refused keys so far, by HTTP status ("200": n, "429": n …). */
  responses: Record<string, number>;
  backends: BackendStatus[];
  /** Present with SHARED_STATE_URL: the store, this replica's name in it, and whether it is shared or degraded. */
  sharedState?: SharedStateView;
}

export interface SharedStateView {
  mode: 'connecting' | 'shared' | 'degraded';
  /** scheme://host:port, never the key. */
  store: string;
  replica: string;
  peers: number;
  sinceSeconds: number;
  lastRefreshMsAgo: number | null;
  lastError: string | null;
}

export function balancerStatus(balancer: Balancer): BalancerStatus {
  const now = balancer.now();
  const shared = balancer.shared?.status();
  return {
    ...(shared
      ? {
          sharedState: {
            mode: shared.mode,
            store: shared.store,
            replica: shared.replica,
            peers: shared.peers,
            sinceSeconds: Math.max(0, Math.round((now - shared.since) / 1000)),
            lastRefreshMsAgo: shared.refreshedAt === 0 ? null : Math.max(0, now - shared.refreshedAt),
            lastError: shared.lastError ?? null,
          },
        }
      : {}),
    status: 'ok',
    uptimeSeconds: Math.round((now - balancer.startedAt) / 1000),
    responses: Object.fromEntries([...balancer.responses].sort(([a], [b]) => a - b).map(([status, count]) => [String(status), count])),
    backends: balancer.backends.map((backend) => {
      const brokenRemainingMs = Math.max(0, backend.brokenUntil - now);
      return {
        id: backend.id,
        url: backend.config.url.href,
        priority: backend.config.priority,
        authentication: backend.config.apiKey === undefined ? 'managed-identity' : 'api-key',
        deploymentName: backend.config.deploymentName ?? null,
        state: brokenRemainingMs > 0 ? 'broken' : 'healthy',
        brokenRemainingMs,
        deployments: backend.knownDeployments().map((state) => {
          const cooldownRemainingMs = Math.max(0, state.cooldownUntil - now);
          return {
            deployment: state.deployment,
            state: cooldownRemainingMs === 0 ? 'healthy' : state.cooldownReason === 'throttled' ? 'cooling' : 'broken',
            cooldownRemainingMs,
            remainingTokens: state.remainingTokens ?? null,
            remainingRequests: state.remainingRequests ?? null,
            requests: state.requests,
            throttled: state.throttled,
            errors: state.errors,
            failovers: state.failovers,
            promptTokens: state.promptTokens,
            completionTokens: state.completionTokens,
          };
        }),
      };
    }),
  };
}
