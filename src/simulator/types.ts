/** Public types of the simulator; re-exported by index.ts. */

export interface DeploymentSpec {
  name: string;
  model: string;
  tpm: number;
  /** Requests per minute per 1,000 TPM (default 6, the "older chat models" ratio). */
  rpmPer1000Tpm?: number;
}

export type FaultKind = '429' | '500' | '503' | 'reset' | 'hang' | 'midstream-reset';

export interface FaultSpec {
  kind: FaultKind;
  /** How many requests the fault applies to; default: until cleared. */
  count?: number;
  /** Only requests to this deployment; default: every deployment. */
  deployment?: string;
  /** For kind '429': the retry-after-ms to send (real milliseconds, not scaled); default 1000. */
  retryAfterMs?: number;
}

export interface SimulatorOptions {
  host?: string;
  port?: number;
  region?: string;
  deployments?: DeploymentSpec[];
  apiKeys?: string[];
  acceptBearer?: (token: string) => boolean;
  timeScale?: number;
  latency?: 'none' | { firstTokenMs: number; perTokenMs: number };
  completionTokens?: number;
  errorWording?: 'current' | 'legacy';
  /** Largest request body accepted; larger ones get 413. Default 16 MiB. */
  maxBodyBytes?: number;
}

export interface DeploymentStats {
  name: string;
  model: string;
  tpm: number;
  requests: number;
  admitted: number;
  rejected429: number;
  tokensCharged: number;
  faultsServed: number;
}

/** A fault still waiting to be served; `remaining` is undefined for "until cleared". */
export interface PendingFault extends FaultSpec {
  remaining: number | undefined;
}

export interface SimulatorStats {
  deployments: DeploymentStats[];
  /** Faults not yet used up, in the order they will match. */
  faults: PendingFault[];
  /** Data-plane responses still open (streaming, waiting on latency, or hung). 0 once clients have gone. */
  inFlight: number;
}

export interface Simulator {
  readonly url: string;
  readonly port: number;
  setDeploymentTpm(name: string, tpm: number): void;
  addDeployment(spec: DeploymentSpec): void;
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  stats(): SimulatorStats;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_DEPLOYMENTS: readonly DeploymentSpec[] = [
  { name: 'chat', model: 'gpt-35-turbo', tpm: 30_000 },
  { name: 'embedding', model: 'text-embedding-ada-002', tpm: 30_000 },
];
