/**
 * The twin's per-operation latencies for `npm run bench:up`, each with where the figure comes from
 * (../shared/azure-fixtures/recordings, read by their Date headers, status bodies and go-vcr durations),
 * and the critical path of `up`'s step graph computed from them.
 */
import type { StepSpec } from '../src/ops/plan.js';

export interface LatencyFigure {
  operationId: string;
  /** Seconds at scale 1, from the initial request until the operation is terminal. */
  seconds: number;
  source: string;
}

/** Long-running operations `up` starts on a fresh environment. Synchronous ones (resource group, identity, role assignments, shared keys, upload URL, blob PUT) answer at once. */
export const latencyFigures: LatencyFigure[] = [
  {
    operationId: 'Accounts_Create',
    seconds: 30,
    source:
      'not measurable from the recording: recording_should_create_an_openai_account_for_testing.json has the PUT at 07:00:18, polls 19 min later (still Creating) and Succeeded 74 min later, so the test was paused. It shows no Retry-After (SDK default 2 s poll). 30 s stands for "tens of seconds" (issue 3 §7)',
  },
  {
    operationId: 'Deployments_CreateOrUpdate',
    seconds: 15,
    source:
      'recording_should_deploy_a_chatdavinci_model_in_that_account.json answers 201 Succeeded at once (api 2022-12-01); current api-versions answer Accepted and the deployment takes seconds. Not recorded: 15 s chosen',
  },
  {
    operationId: 'Workspaces_CreateOrUpdate',
    seconds: 20,
    source:
      'not recorded; the nearest recorded Log Analytics operation, the workspace force-delete in azd-up-down-containerapp-remotebuild.yaml (#158 → #159), took 20 s',
  },
  {
    operationId: 'ManagedEnvironments_CreateOrUpdate',
    seconds: 90,
    source:
      'recording_managedenvironments_create_test.json: PUT 02:31:15 → Succeeded at +50 s (23 polls), without Log Analytics. azd-up-down-containerapp-remotebuild.yaml: the ARM deployment with workspace → environment (with Log Analytics) → app took PT2M24.7S; minus workspace 20 s and app 37 s ≈ 90 s',
  },
  {
    operationId: 'ContainerApps_CreateOrUpdate',
    seconds: 37,
    source: 'recording_containerapp_create_test.json: PUT 201 InProgress (Retry-After 5) → Succeeded at +37 s (17 polls)',
  },
  {
    operationId: 'ContainerApps_Update',
    seconds: 15,
    source: 'azd-up-down-containerapp-remotebuild.yaml: PATCH 202 (#143, 19:26:58) → status Succeeded (#144, 19:27:13). Not used by a fresh up',
  },
  {
    operationId: 'Registries_Create',
    seconds: 20,
    source: 'not recorded (the azd run created the registry inside its 145 s ARM deployment, in parallel with the environment); 20 s chosen',
  },
  {
    operationId: 'Registries_ScheduleRun',
    seconds: 90,
    source:
      'azd-up-down-containerapp-remotebuild.yaml run ch1: createTime 19:25:25.97, startTime 19:25:26.22, finishTime 19:26:56.74, "successful after 1m30s": 41 s build step (pulling node:22; the Dockerfile ran no npm install) + 44.5 s push. The twin pulls and pushes nothing, so the queue latency stands for that 90 s; the twin\'s local npm ci + tsc of templates/balancer comes on top',
  },
];

/** ARM GET round trips in azd-up-down-containerapp-remotebuild.yaml (39 GETs to management.azure.com): median of the go-vcr durations. */
export const recordedArmGetMedianSeconds = 0.185;

/** Which long-running operations a step of plan.steps waits for on a fresh environment. */
export function operationsOfStep(id: string): string[] {
  if (id === 'workspace') return ['Workspaces_CreateOrUpdate'];
  if (id === 'environment') return ['ManagedEnvironments_CreateOrUpdate'];
  if (id === 'registry') return ['Registries_Create'];
  if (id === 'build') return ['Registries_ScheduleRun'];
  if (id === 'app') return ['ContainerApps_CreateOrUpdate'];
  if (/^account\d+$/.test(id)) return ['Accounts_Create'];
  if (/^account\d+\.(?!role$)/.test(id)) return ['Deployments_CreateOrUpdate'];
  return []; // group, identity, roles, health: synchronous ARM calls (health: the replica starting)
}

export interface CriticalPath {
  seconds: number;
  chain: string[];
}

/** The longest path through the dependency graph, each step weighing `weight(id)` seconds. */
export function criticalPath(steps: readonly StepSpec[], weight: (id: string) => number): CriticalPath {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const memo = new Map<string, CriticalPath>();
  const finish = (id: string): CriticalPath => {
    const known = memo.get(id);
    if (known) return known;
    const step = byId.get(id);
    if (!step) throw new Error(`step ${id} is not in the plan`);
    let before: CriticalPath = { seconds: 0, chain: [] };
    for (const dependency of step.dependsOn) {
      const candidate = finish(dependency);
      if (candidate.seconds > before.seconds) before = candidate;
    }
    const result = { seconds: before.seconds + weight(id), chain: [...before.chain, id] };
    memo.set(id, result);
    return result;
  };
  return steps.map((step) => finish(step.id)).reduce((longest, path) => (path.seconds > longest.seconds ? path : longest));
}
