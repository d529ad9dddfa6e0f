// The twin's data model for Microsoft.ContainerRegistry: a registry and its ACR Tasks runs. A leaf
// module (it imports nothing), so the state that holds registries (auth-state.ts) and the providers
// that serve them (registry.ts, registry-runs.ts) all depend on it and none on each other's types.

export interface Registry {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  sku: string;
  properties: Record<string, unknown>;
  identity?: Record<string, unknown>;
  provisioningState: string;
  creationDate: string;
  /** Next run number (ACR run ids: ca1, ca2, …). */
  runCounter: number;
  runs: Map<string, RunRecord>;
}

export interface RunRecord {
  runId: string;
  status: 'Queued' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
  request: Record<string, unknown>;
  createTime: string;
  startTime?: string;
  finishTime?: string;
  lastUpdatedTime: string;
  outputImages: { registry: string; repository: string; tag: string; digest: string }[];
  runErrorMessage?: string;
  logPath: string;
}
