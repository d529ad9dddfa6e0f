/**
 * `aoai-lb down`: delete the environment's resource group (only when it carries the environment's tag),
 * with --purge purge its soft-deleted OpenAI accounts so their names and quota are free at once, and
 * clear the environment's outputs while keeping its settings, so a later `up` recreates the same.
 * Safe to re-run: a group already gone is not an error, and --purge still purges what is left.
 */
import { allOutputKeys, outputKeys } from '../../env/keys.js';
import { getRedisCluster } from '../../azure/redis.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArmContext } from '../../azure/clients.js';
import { failedOn } from '../../azure/errors.js';
import { deleteResourceGroup, getResourceGroup, listGroupResources, type GroupResource, type ResourceGroupState } from '../../azure/groups.js';
import { ExitCode, UserError } from '../../core/errors.js';
import type { EnvValues } from '../../env/dotenv.js';
import type { EnvStore } from '../../env/store.js';
import type { Reporter } from '../../ui/progress.js';
import { deletedAccountsOf, purgeAll, uniqueTargets, type Ownership, type PurgeTarget } from './purge.js';
import { ownerTag, resourceToken } from '../plan.js';
import { deployedSession, type SessionIo } from '../session.js';

export interface DownFlags {
  env?: string;
  cwd?: string;
  purge?: boolean;
  force?: boolean;
  json?: boolean;
}

/** What down is about to do, shown before it asks. */
export interface DownPlan {
  environment: string;
  resourceGroup: string;
  /** undefined when the group is already gone. */
  group: { location: string; resources: GroupResource[] } | undefined;
  /** Soft-deleted accounts to purge (with --purge), besides those the group's delete will soft-delete. */
  purge: PurgeTarget[];
  purgeFlag: boolean;
}

export interface DownIo extends SessionIo {
  reporter: Reporter;
  /** Shows the plan and asks; only called on a terminal without --force. */
  confirm(plan: DownPlan): Promise<boolean>;
}

export interface DownResult {
  environment: string;
  subscriptionId: string;
  resourceGroup: string;
  /** deleted: by this run; finished: an earlier run's delete, waited for; absent: it did not exist. */
  group: 'deleted' | 'finished' | 'absent';
  resources: GroupResource[];
  purged: string[];
  clearedOutputs: string[];
  seconds: number;
}

/** What `up` writes as results (docs/up.md); the settings (capacity, regions, …) stay for the next `up`. */
export const environmentOutputs = allOutputKeys;

const accountKind = 'Azure OpenAI account';

export async function runDown(flags: DownFlags, io: DownIo): Promise<DownResult> {
  const started = performance.now();
  const session = await deployedSession(flags, io);
  const { arm, name: environment, resourceGroup, values } = session;

  const { group, finished } = await readGroup(arm, resourceGroup, environment, io.reporter);
  const resources = group ? await groupResources(arm, resourceGroup, environment, values) : [];

  const owner: Ownership = {
    environment,
    resourceGroup,
    names: new Set(
      [...(values.AZURE_OPENAI_ACCOUNTS ?? '').split(','), ...resources.filter((r) => r.kind === accountKind).map((r) => r.name)]
        .filter(Boolean)
        .map((n) => n.toLowerCase()),
    ),
    namePattern: values.AZURE_LOCATION ? new RegExp(`^openai\\d+-${resourceToken(arm.subscriptionId, environment, values.AZURE_LOCATION)}$`) : undefined,
  };
  const leftovers = flags.purge ? await deletedAccountsOf(arm, owner) : [];
  const plan: DownPlan = {
    environment,
    resourceGroup,
    group: group ? { location: group.location, resources } : undefined,
    purge: leftovers,
    purgeFlag: flags.purge === true,
  };

  if ((group || leftovers.length > 0) && !flags.force) await confirm(plan, io);

  const deleted = group ? await deleteGroup(arm, group, resources.length, io.reporter, environment) : false;
  if (!group && !finished) io.reporter.info(`resource group ${resourceGroup} does not exist: nothing to delete`);
  const clearedOutputs = await clearOutputs(session.store, environment, values);

  let purged: string[] = [];
  if (flags.purge) {
    // The group's delete soft-deleted its accounts: purge them by name even before the list shows them.
    const softDeleted = resources.filter((r) => r.kind === accountKind).map((r) => ({ name: r.name, location: r.location, resourceGroup }));
    const targets = uniqueTargets([...leftovers, ...softDeleted, ...(deleted ? await deletedAccountsOf(arm, owner) : [])]);
    if (targets.length === 0) io.reporter.info(`no soft-deleted OpenAI account of environment ${environment} is left to purge`);
    purged = await purgeAll(arm, targets, io.reporter, environment);
  }

  return {
    environment,
    subscriptionId: arm.subscriptionId,
    resourceGroup,
    group: deleted ? 'deleted' : finished ? 'finished' : 'absent',
    resources,
    purged,
    clearedOutputs,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

async function readGroup(
  arm: ArmContext,
  name: string,
  environment: string,
  reporter: Reporter,
): Promise<{ group: ResourceGroupState | undefined; finished: boolean }> {
  try {
    const group = await getResourceGroup(arm, name);
    if (group) refuseUnlessOurs(group, environment);
    if (group?.provisioningState !== 'Deleting') return { group, finished: false };
    // An earlier down was stopped while ARM deleted the group: its accounts are soft-deleted only at the end.
    const step = reporter.step('group', `resource group ${name}, being deleted by an earlier run`);
    while (await getResourceGroup(arm, name)) await sleep(2000);
    step.succeed('gone');
    return { group: undefined, finished: true };
  } catch (error) {
    throw failedOn(error, { resource: `reading resource group ${name}`, environment });
  }
}

function refuseUnlessOurs(group: ResourceGroupState, environment: string): void {
  const tag = group.tags[ownerTag];
  if (tag === environment) return;
  const found = tag === undefined ? `it has no ${ownerTag} tag` : `its tag is ${ownerTag}=${tag}`;
  throw new UserError(
    'group-not-ours',
    `resource group ${group.name} was not created by aoai-lb for environment "${environment}" (${found}); nothing was deleted.`,
    {
      suggestion: `down deletes only a group tagged ${ownerTag}=${environment}. Check AZURE_RESOURCE_GROUP with \`aoai-lb env get-values --env ${environment}\`; to delete that group anyway, use the portal or \`az group delete --name ${group.name}\``,
    },
  );
}

async function groupResources(arm: ArmContext, group: string, environment: string, values: EnvValues): Promise<GroupResource[]> {
  try {
    const [listed, stores] = await Promise.all([listGroupResources(arm, group), sharedStores(arm, group, environment, values)]);
    return [...listed, ...stores];
  } catch (error) {
    throw failedOn(error, { resource: `listing the resources of ${group}`, environment });
  }
}

/**
 * The shared-state store (`up --shared-state`), found by the name `up` recorded or would give it: the generic
 * resource list would name it, but the types `up` creates are listed by their own clients (azure/groups.ts).
 */
async function sharedStores(arm: ArmContext, group: string, environment: string, values: EnvValues): Promise<GroupResource[]> {
  const names = new Set([
    values[outputKeys.sharedStateName],
    values.AZURE_LOCATION && `redis-${resourceToken(arm.subscriptionId, environment, values.AZURE_LOCATION)}`,
  ]);
  const found = await Promise.all([...names].filter((name): name is string => Boolean(name)).map((name) => getRedisCluster(arm, group, name)));
  return found.filter((c) => c !== undefined).map((c) => ({ kind: 'Azure Managed Redis', name: c.name, location: c.location }));
}

async function confirm(plan: DownPlan, io: DownIo): Promise<void> {
  if (!io.interactive) {
    const what = plan.group
      ? `resource group ${plan.resourceGroup} and its ${plan.group.resources.length} resources`
      : `${plan.purge.length} soft-deleted OpenAI accounts`;
    throw new UserError('down-needs-confirmation', `down would delete ${what}, and without a terminal it cannot ask you to confirm; nothing was deleted.`, {
      suggestion: `pass --force to delete without asking: aoai-lb down --force${plan.purgeFlag ? ' --purge' : ''} --env ${plan.environment}`,
      exitCode: ExitCode.usage,
    });
  }
  if (!(await io.confirm(plan))) {
    throw new UserError('down-cancelled', 'cancelled: nothing was deleted.', {
      suggestion: 'run it again and answer y, or pass --force to delete without asking',
    });
  }
}

async function deleteGroup(arm: ArmContext, group: ResourceGroupState, count: number, reporter: Reporter, environment: string): Promise<boolean> {
  const step = reporter.step('group', `delete resource group ${group.name} (${count} resources)`);
  try {
    const deleted = await deleteResourceGroup(arm, group.name);
    if (deleted) step.succeed();
    else step.skip('already gone');
    return deleted;
  } catch (error) {
    const failure = failedOn(error, { resource: `deleting resource group ${group.name}`, environment });
    step.fail(failure);
    throw failure;
  }
}

async function clearOutputs(store: EnvStore, environment: string, values: EnvValues): Promise<string[]> {
  const present = environmentOutputs.filter((key) => key in values);
  if (present.length > 0) await store.update(environment, Object.fromEntries(present.map((key) => [key, undefined])));
  return present;
}
