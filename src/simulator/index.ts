/**
 * A local stand-in for the Azure OpenAI data plane (aoai-data-plane.md): Standard-deployment quota windows,
 * Azure-shaped 429s and errors, Azure SSE streaming, faults and a control endpoint.
 */
import { startSimulatorWithClock } from './server.js';
import type { Simulator, SimulatorOptions } from './types.js';

export type { DeploymentSpec, DeploymentStats, FaultKind, FaultSpec, PendingFault, Simulator, SimulatorOptions, SimulatorStats } from './types.js';
export { DEFAULT_DEPLOYMENTS } from './types.js';
export { FAULT_KINDS } from './faults.js';

/** Starts a simulator on `host:port` (default 127.0.0.1, an ephemeral port); close() it when done. */
export function startSimulator(options?: SimulatorOptions): Promise<Simulator> {
  return startSimulatorWithClock(options);
}
