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

/** The Azure Managed Redis the replicas share state through (`up --shared-state`), as ARM has it. */
export interface StatusSharedStore {
  name: string;
  location: string;
  /** 'not found' when the environment names a cluster ARM does not have. */
  provisioningState: string;
  resourceState: string;
  /** rediss://host:port, '' when unknown. */
  endpoint: string;
}

/** The balancer's own report of its shared state (GET /status `sharedState`, when it sends one): mode and what else it says. */
export type BalancerSharedState = { mode: string } & Record<string, unknown>;

export type BalancerView =
  | ({ reachable: true } & Pick<BalancerStatus, 'uptimeSeconds' | 'responses'> & {
        backends: Array<BackendStatus & { account?: string }>;
        sharedState?: BalancerSharedState;
      })
  | { reachable: false; error: string };

export interface StatusSnapshot {
  time: string;
  environment: string;
  subscriptionId: string;
  resourceGroup: string;
  url: string;
  app: { name: string; latestRevision: string; replicas: StatusReplica[] };
  accounts: StatusAccount[];
  /** Only when the environment has a shared-state store. */
  sharedState?: StatusSharedStore;
  balancer: BalancerView;
}
