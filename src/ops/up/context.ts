/** What the steps of one `up` run share: the ARM context, the plan, and what earlier steps found or made. */
import type { ArmContext } from '../../azure/clients.js';
import type { AccountState } from '../../azure/openai.js';
import type { EnvironmentState } from '../../azure/containerapps.js';
import type { IdentityState } from '../../azure/identity.js';
import type { RedisClusterState, RedisDatabaseState } from '../../azure/redis.js';
import type { RegistryState } from '../../azure/registry.js';
import type { WorkspaceState } from '../../azure/monitor.js';
import type { Plan } from '../plan.js';
import type { PackedContext } from './pack-context.js';

export interface UpTimings {
  /** How often a resource left mid-operation by an interrupted run is read until it settles. */
  settlePollMs: number;
  buildLogPollMs: number;
  healthPollMs: number;
  healthTimeoutMs: number;
}

export interface UpContext {
  arm: ArmContext;
  plan: Plan;
  environmentName: string;
  /** The template the image is built from (templates/balancer). */
  templateDir: string;
  /** The template packed once per run: its content tag names the image in the plan. */
  packed?: PackedContext;
  timings: UpTimings;
  /** Values noted in the environment by this or an earlier run (e.g. a build in progress). */
  noted: Record<string, string | undefined>;
  /** Notes values in the environment at once, so an interrupted run can pick them up. */
  note(values: Record<string, string>): Promise<void>;
  found: {
    workspace?: WorkspaceState;
    environment?: EnvironmentState;
    identity?: IdentityState;
    accounts: Map<number, AccountState>;
    registry?: RegistryState;
    /** The shared state's cluster and database (with --shared-state). */
    store?: RedisClusterState;
    storeDatabase?: RedisDatabaseState;
    /** The image the app runs: the build's output, or --image. */
    image?: string;
    fqdn?: string;
    clientKey?: string;
  };
}

export const defaultTimings: UpTimings = { settlePollMs: 2000, buildLogPollMs: 1000, healthPollMs: 2000, healthTimeoutMs: 5 * 60_000 };

export { settled, succeeded } from '../settled.js';
