// The Azure twin's public surface (docs/twin.md).
export { startTwin, type Twin, type TwinOptions, type TwinRequestRecord } from './server.js';
export { createTwinCa, type TwinCa } from './tls.js';
export type { FaultKind, FaultSpec, LatencySpec, OperationHold } from './faults.js';
export { DEFAULT_LIMITS, DEFAULT_MODELS, DEFAULT_REGIONS, usageNameOf, type ModelOffer, type RegionConfig } from './catalog.js';
export type { Account, Deployment, ResourceGroup } from './state.js';
export { TwinEvents } from './context.js';
export type { DataPlane, DataPlaneOptions, IdentityEnv, IssuedToken } from './dataplane/index.js';
export { AppRunner, type ReplicaRun, type RunningApp } from './apps/runner.js';
export type { ContainerProcess } from './apps/replica.js';
export type { Edge, EdgeRequest } from './apps/edge.js';
export type { ConnectProxy } from './apps/proxy.js';
