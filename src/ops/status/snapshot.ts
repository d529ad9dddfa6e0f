/** What `status` reads: the deployment as ARM has it plus the balancer's GET /status; ui/status-view.ts renders it. */
import type { BalancerStatus } from '../../../templates/balancer/dist/main.js';

type BackendStatus = BalancerStatus['backends'][number];

export interface StatusDeployment {
  name: string;
  /** "gpt-5.4-mini:2026-03-17"; '' when the deployment was not found. */
  model: string;
  sku: string;
  /** Thousands of tokens per minute. */
  capacity: number;
  provisioningState: string;
}

export interface StatusAccount {
  name: string;
  region: string;
  endpoint: string;
  provisioningState: string;
  deployments: StatusDeployment[];
}

export interface StatusReplica {
  name: string;
  revision: string;
  runningState: string;
}

export type BalancerView =
  | ({ reachable: true } & Pick<BalancerStatus, 'uptimeSeconds' | 'responses'> & { backends: Array<BackendStatus & { account?: string }> })
  | { reachable: false; error: string };

export interface StatusSnapshot {
  time: string;
  environment: string;
  subscriptionId: string;
  resourceGroup: string;
  url: string;
  app: { name: string; latestRevision: string; replicas: StatusReplica[] };
  accounts: StatusAccount[];
  balancer: BalancerView;
}
