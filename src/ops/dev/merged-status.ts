/**
 * What `dev --replicas` shows: the replicas' /status as one balancer. Counts add up; a cooldown or a broken
 * circuit on any replica shows (with shared state they agree); the remaining quota is the lowest reading.
 */
import type { BalancerStatus } from '../../../templates/balancer/dist/main.js';

type BackendStatus = BalancerStatus['backends'][number];
type DeploymentStatus = BackendStatus['deployments'][number];

const severity = { healthy: 0, cooling: 1, broken: 2 } as const;
const counters = ['requests', 'throttled', 'errors', 'failovers', 'promptTokens', 'completionTokens'] as const;

const lowest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

function mergeDeployment(into: DeploymentStatus, other: DeploymentStatus): DeploymentStatus {
  const merged = { ...into };
  for (const counter of counters) merged[counter] += other[counter];
  if (severity[other.state] > severity[merged.state]) merged.state = other.state;
  merged.cooldownRemainingMs = Math.max(merged.cooldownRemainingMs, other.cooldownRemainingMs);
  merged.remainingTokens = lowest(merged.remainingTokens, other.remainingTokens);
  merged.remainingRequests = lowest(merged.remainingRequests, other.remainingRequests);
  return merged;
}

function mergeBackend(into: BackendStatus, other: BackendStatus): BackendStatus {
  const deployments = new Map(into.deployments.map((d) => [d.deployment, d]));
  for (const deployment of other.deployments) {
    const known = deployments.get(deployment.deployment);
    deployments.set(deployment.deployment, known ? mergeDeployment(known, deployment) : deployment);
  }
  return {
    ...into,
    state: into.state === 'broken' || other.state === 'broken' ? 'broken' : 'healthy',
    brokenRemainingMs: Math.max(into.brokenRemainingMs, other.brokenRemainingMs),
    deployments: [...deployments.values()],
  };
}

export function mergeStatuses(statuses: BalancerStatus[]): BalancerStatus | undefined {
  const [first, ...others] = statuses;
  if (!first) return undefined;
  const merged: BalancerStatus = { ...first, responses: { ...first.responses }, backends: [...first.backends] };
  for (const status of others) {
    merged.uptimeSeconds = Math.max(merged.uptimeSeconds, status.uptimeSeconds);
    for (const [code, count] of Object.entries(status.responses)) merged.responses[code] = (merged.responses[code] ?? 0) + count;
    merged.backends = merged.backends.map((backend) => {
      const same = status.backends.find((b) => b.id === backend.id);
      return same ? mergeBackend(backend, same) : backend;
    });
  }
  return merged;
}
