/**
 * Which soft-deleted OpenAI accounts belong to an environment, and purging them. An account is the
 * environment's when it was in the environment's resource group and carries its tag, or has one of the
 * names `up` gives (so an account soft-deleted by an earlier `down`, whose outputs are cleared, is found too).
 */
import type { ArmContext } from '../../azure/clients.js';
import { failedOn } from '../../azure/errors.js';
import { listDeletedAccounts, purgeDeletedAccount, type DeletedAccount } from '../../azure/openai-deleted.js';
import type { Reporter } from '../../ui/progress.js';
import { ownerTag } from '../plan.js';

export interface PurgeTarget {
  name: string;
  location: string;
  resourceGroup: string;
}

export interface Ownership {
  environment: string;
  resourceGroup: string;
  /** Account names the environment is known to have had. */
  names: Set<string>;
  /** `openai<i>-<token>`: the names `up` derives for this environment. */
  namePattern: RegExp | undefined;
}

export function isOurs(account: DeletedAccount, owner: Ownership): boolean {
  if (account.resourceGroup.toLowerCase() !== owner.resourceGroup.toLowerCase()) return false;
  const name = account.name.toLowerCase();
  return account.tags[ownerTag] === owner.environment || owner.names.has(name) || owner.namePattern?.test(name) === true;
}

export async function deletedAccountsOf(arm: ArmContext, owner: Ownership): Promise<PurgeTarget[]> {
  try {
    const deleted = await listDeletedAccounts(arm);
    return deleted.filter((account) => isOurs(account, owner)).map(({ name, location, resourceGroup }) => ({ name, location, resourceGroup }));
  } catch (error) {
    throw failedOn(error, { resource: 'listing the soft-deleted OpenAI accounts', environment: owner.environment });
  }
}

/** One entry per account (names are case-insensitive), the first spelling kept. */
export function uniqueTargets(targets: PurgeTarget[]): PurgeTarget[] {
  const byKey = new Map<string, PurgeTarget>();
  for (const target of targets) {
    const key = `${target.location}/${target.resourceGroup}/${target.name}`.toLowerCase().replace(/\s/g, '');
    if (!byKey.has(key)) byKey.set(key, target);
  }
  return [...byKey.values()];
}

/** Purges every target concurrently; resolves to the names actually purged, throws the first failure. */
export async function purgeAll(arm: ArmContext, targets: PurgeTarget[], reporter: Reporter, environment: string): Promise<string[]> {
  const outcomes = await Promise.allSettled(
    targets.map(async (target) => {
      const resource = `purge of the soft-deleted OpenAI account ${target.name} (${target.location})`;
      const step = reporter.step(`purge.${target.name}`, `purge soft-deleted OpenAI account ${target.name} (${target.location})`);
      try {
        const purged = await purgeDeletedAccount(arm, target.location, target.resourceGroup, target.name);
        if (purged) step.succeed();
        else step.skip('already purged');
        return purged ? target.name : undefined;
      } catch (error) {
        const failure = failedOn(error, { resource, environment });
        step.fail(failure);
        throw failure;
      }
    }),
  );
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value ? [outcome.value] : []));
}
