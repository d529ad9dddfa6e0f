// A run of `up` killed (SIGKILL, no chance to clean up) during each kind of step, then run again, must
// converge: every resource exactly once, the balancer healthy, and a further run changing nothing.
// Each target step is killed right after its write reached ARM, while the operation is still running: the
// twin holds the target operations (twin.latencies.hold) until the process is dead, so no load on the machine
// lets one finish before the kill. Their latencies keep other steps in flight too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { ResourceManagementClient } from '@azure/arm-resources';
import { sdkOptions, staticCredential } from '../twin/sdk.js';
import { startCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';
import type { OperationHold } from '../twin/index.js';

interface KillPoint {
  step: string;
  /** The plain-progress title of the step (one line when it starts, "… <title>", one when it ends). */
  title: RegExp;
  /** The ARM write of the step. */
  operationId?: string;
  /**
   * 'lro': the write is a long-running operation, held by the twin; kill once ARM has started it.
   * 'hang': the write answers at once, so it is made to hang; kill once the step has started.
   * Both are in place from the start of every run until the point's turn has come.
   */
  mode?: 'lro' | 'hang';
  /** A progress line that must have appeared too (what the step recorded before it). */
  after?: RegExp;
}

const killPoints: KillPoint[] = [
  { step: 'group', title: /resource group/, operationId: 'ResourceGroups_CreateOrUpdate', mode: 'hang' },
  { step: 'identity', title: /managed identity/, operationId: 'UserAssignedIdentities_CreateOrUpdate', mode: 'hang' },
  { step: 'account', title: /OpenAI account openai\d-\S+ \(\w+\)/, operationId: 'Accounts_Create', mode: 'lro' },
  { step: 'workspace', title: /Log Analytics workspace/, operationId: 'Workspaces_CreateOrUpdate', mode: 'lro' },
  { step: 'registry', title: /container registry/, operationId: 'Registries_Create', mode: 'lro' },
  { step: 'OpenAI User role', title: /OpenAI User role on openai\d-/, operationId: 'RoleAssignments_Create', mode: 'hang' },
  { step: 'AcrPull role', title: /AcrPull role on the registry/, operationId: 'RoleAssignments_Create', mode: 'hang' },
  { step: 'deployment', title: /deployment \w+ on openai\d-/, operationId: 'Deployments_CreateOrUpdate', mode: 'lro' },
  { step: 'environment', title: /Container Apps environment/, operationId: 'ManagedEnvironments_CreateOrUpdate', mode: 'lro' },
  // Killed once the run is queued and noted in the environment: the next `up` must follow it, not build again.
  { step: 'build', title: /remote build of the balancer image/, operationId: 'Registries_ScheduleRun', mode: 'lro', after: /build \w+ queued/ },
  { step: 'app', title: /container app/, operationId: 'ContainerApps_CreateOrUpdate', mode: 'lro' },
  // Health does no write and may pass in milliseconds: killed when it starts, not required to be caught in flight.
  { step: 'health', title: /balancer answering \/healthz/ },
];

const escape = (pattern: RegExp): string => pattern.source;
const started = (stderr: string, title: RegExp): boolean => new RegExp(`^… ${escape(title)}`, 'm').test(stderr);
const finished = (stderr: string, title: RegExp): boolean => new RegExp(`^[✓–✗] ${escape(title)}`, 'm').test(stderr);
const inFlight = (stderr: string, title: RegExp): boolean =>
  stderr.split('\n').filter((line) => new RegExp(`^… ${escape(title)}`).test(line)).length >
  stderr.split('\n').filter((line) => new RegExp(`^[✓–✗] ${escape(title)}`).test(line)).length;

describe('up resumes after being killed during any step', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  before(async () => {
    world = await startUpWorld({
      twin: {
        latencies: {
          Accounts_Create: 1500,
          Deployments_CreateOrUpdate: 1000,
          Workspaces_CreateOrUpdate: 1500,
          ManagedEnvironments_CreateOrUpdate: 2500,
          Registries_Create: 1500,
          Registries_ScheduleRun: 1000,
          ContainerApps_CreateOrUpdate: 1500,
        },
      },
    });
  });
  after(async () => world?.close());

  it('converges with no duplicates', async (t) => {
    const args = ['--env', 'resume', '--regions', 'eastus,swedencentral,westus3', '--location', 'eastus2'];
    const killed: string[] = [];
    /** Steps that had started and not finished when a run was killed (steps run concurrently). */
    const interrupted = new Set<string>();
    // A run killed between scheduling a build and noting it cannot know of that build (ARM does not show a
    // run's image before it pushes), so only the build noted before the kill must be the last one.
    const scheduledBuilds = (): number => world.twin.requests.filter((r) => r.operationId === 'Registries_ScheduleRun' && r.status < 300).length;
    let buildsWhenFirstNoted: number | undefined;
    let next = 0;
    while (next < killPoints.length) {
      // Every write still to be caught in flight is held (lro) or hangs (hang) from the start of the run: steps
      // run concurrently, so a later step may start before an earlier target is reached, and it must not finish
      // before its turn comes, however the machine's load orders things.
      const holds = new Map<string, OperationHold>();
      const hung = new Set<string>();
      for (const p of killPoints.slice(next)) {
        if (p.mode === 'lro' && !holds.has(p.operationId!)) holds.set(p.operationId!, world.twin.latencies.hold(p.operationId!));
        if (p.mode === 'hang' && !hung.has(p.operationId!)) {
          hung.add(p.operationId!);
          world.twin.faults.inject(p.operationId!, { kind: 'hang', times: 100 });
        }
      }
      const cli = startCli(['up', '--cwd', world.projectDir, ...args], world.env);
      let killedThisRun = false;
      try {
        while (next < killPoints.length && !killedThisRun) {
          const point = killPoints[next]!;
          const ready = (): boolean => {
            const stderr = cli.stderr();
            if (point.after && !point.after.test(stderr)) return false;
            if (point.mode === 'lro') return inFlight(stderr, point.title) && holds.get(point.operationId!)!.held >= 1;
            return inFlight(stderr, point.title) || (point.mode === undefined && started(stderr, point.title));
          };
          // Either the step is at work (kill now), or it finishes at once because an earlier run did it.
          // Generous: on a loaded machine the twin's image build alone can take minutes.
          const seen = await waitFor(
            `step ${point.step} to start or finish`,
            () => {
              if (ready()) return 'ready';
              if (finished(cli.stderr(), point.title)) return 'finished';
              if (cli.child.exitCode !== null) return 'exited';
              return undefined;
            },
            360_000,
          ).catch((error: Error) => assert.fail(`${error.message}\nstderr so far:\n${cli.stderr()}`));
          next++;
          if (seen === 'exited' && point.mode !== undefined) assert.fail(`up exited (${cli.child.exitCode}) before step ${point.step}: ${cli.stderr()}`);
          if (seen === 'ready') {
            cli.child.kill('SIGKILL');
            await cli.exited;
            killed.push(point.step);
            killedThisRun = true;
            for (const p of killPoints) if (inFlight(cli.stderr(), p.title)) interrupted.add(p.step);
          }
        }
      } finally {
        await cli.stop('SIGKILL');
        world.twin.faults.clear();
        for (const hold of holds.values()) hold.release();
        if (buildsWhenFirstNoted === undefined && /build \w+ queued|following build/.test(cli.stderr())) buildsWhenFirstNoted = scheduledBuilds();
      }
    }
    t.diagnostic(`killed while targeting: ${killed.join(', ')}; in flight at a kill: ${[...interrupted].join(', ')}`);
    assert.deepEqual(
      killPoints.filter((p) => p.mode && !interrupted.has(p.step)).map((p) => p.step),
      [],
      'every kind of step was interrupted at least once',
    );

    const final = await world.up([...args, '--json']);
    assert.equal(scheduledBuilds(), buildsWhenFirstNoted, 'once a build was noted in the environment, later runs followed it instead of starting another');
    assert.equal(final.code, 0, `killed during ${killed.join(', ')}; final run:\n${final.stderr}`);
    const again = await world.up(['--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).changed, false, 'converged: a further run changes nothing');

    const options = sdkOptions(world.twin);
    const sub = world.twin.subscriptionId;
    const count = async (items: AsyncIterable<unknown>): Promise<number> => {
      let n = 0;
      for await (const _ of items) n++;
      return n;
    };
    const rg = 'resume-rg';
    const groups = new ResourceManagementClient(staticCredential, sub, options);
    assert.equal(await count(groups.resourceGroups.list()), 1);
    const cs = new CognitiveServicesManagementClient(staticCredential, sub, options);
    const accounts = [];
    for await (const a of cs.accounts.listByResourceGroup(rg)) accounts.push(a);
    assert.equal(accounts.length, 3);
    for (const a of accounts) assert.equal(await count(cs.deployments.list(rg, a.name!)), 2, `deployments of ${a.name}`);
    assert.equal(await count(new OperationalInsightsManagementClient(staticCredential, sub, options).workspaces.listByResourceGroup(rg)), 1);
    const aca = new ContainerAppsAPIClient(staticCredential, sub, options);
    assert.equal(await count(aca.managedEnvironments.listByResourceGroup(rg)), 1);
    assert.equal(await count(aca.containerApps.listByResourceGroup(rg)), 1);
    assert.equal(await count(new ContainerRegistryManagementClient(staticCredential, sub, options).registries.listByResourceGroup(rg)), 1);
    const identities = [];
    for await (const i of new ManagedServiceIdentityClient(staticCredential, sub, options).userAssignedIdentities.listByResourceGroup(rg)) identities.push(i);
    assert.equal(identities.length, 1);
    const authz = new AuthorizationManagementClient(staticCredential, sub, options);
    const assignments = await count(
      authz.roleAssignments.listForScope(`/subscriptions/${sub}/resourceGroups/${rg}`, { filter: `principalId eq '${identities[0]!.principalId}'` }),
    );
    assert.equal(assignments, 4, 'one OpenAI User per account and one AcrPull, no duplicates');
  });
});
