/**
 * Applies a capacity change: PATCH per deployment, one at a time within an account (ARM refuses a second
 * operation on an account while one runs), accounts concurrently. After a failure no new change starts;
 * those under way finish. Then either every deployment is at the target, or the error names exactly
 * which deployments changed and which did not.
 */
import type { ArmContext } from '../../azure/clients.js';
import { explain, failedOn } from '../../azure/errors.js';
import { setDeploymentCapacity } from '../../azure/openai.js';
import { UserError } from '../../core/errors.js';
import type { Reporter } from '../../ui/progress.js';
import type { AccountDeployments, DeployedModel } from './targets.js';

export type ChangeOutcome = 'updated' | 'unchanged' | 'failed' | 'not run';

export interface DeploymentChange {
  deployment: DeployedModel;
  from: number;
  to: number;
  outcome: ChangeOutcome;
  error?: UserError;
  /** The fix for an ARM error with a known one (e.g. InsufficientQuota). */
  fix?: string;
}

export interface ApplyOptions {
  arm: ArmContext;
  group: string;
  environment: string;
  capacity: number;
  /** The deployments the user asked for (the others are reported, never touched). */
  chosen: (d: DeployedModel) => boolean;
  reporter: Reporter;
  /** The command that finishes the job, for the error's suggestion. */
  rerun: string;
}

/** A chosen deployment needs a change unless it is at the target and its last operation succeeded. */
export const needsChange = (d: DeployedModel, capacity: number): boolean => d.capacity !== capacity || !d.succeeded;

export async function applyCapacity(accounts: AccountDeployments[], options: ApplyOptions): Promise<DeploymentChange[]> {
  const { capacity, reporter } = options;
  let stopped = false;
  const perAccount = await Promise.all(
    accounts.map(async (account) => {
      const changes: DeploymentChange[] = [];
      for (const d of account.deployments.filter(options.chosen)) {
        const change: DeploymentChange = { deployment: d, from: d.capacity, to: capacity, outcome: 'not run' };
        changes.push(change);
        const handle = reporter.step(`${d.account}.${d.name}`, `${d.name} on ${d.account} (${d.region})`);
        if (!needsChange(d, capacity)) {
          change.outcome = 'unchanged';
          handle.skip(`already ${capacity}K TPM`);
          continue;
        }
        if (stopped) {
          handle.skip('not started: another change failed');
          continue;
        }
        const detail = d.capacity === capacity ? `${capacity}K TPM again (its last change failed)` : `${d.capacity}K → ${capacity}K TPM`;
        handle.update(detail);
        try {
          await setDeploymentCapacity(options.arm, options.group, d.account, d.name, { name: d.sku, capacity });
          change.outcome = 'updated';
          handle.succeed(detail);
        } catch (error) {
          stopped = true;
          change.outcome = 'failed';
          const context = { resource: `deployment ${d.name} on ${d.account}`, environment: options.environment };
          change.error = failedOn(error, context);
          change.fix = explain(error, context)?.suggestion;
          handle.fail(change.error);
        }
      }
      return changes;
    }),
  );
  const changes = perAccount.flat();
  if (changes.some((change) => change.outcome === 'failed')) throw incomplete(changes, options);
  return changes;
}

function incomplete(changes: DeploymentChange[], options: ApplyOptions): UserError {
  const label = (change: DeploymentChange): string => `${change.deployment.name} on ${change.deployment.account}`;
  const list = (outcome: ChangeOutcome): string =>
    changes
      .filter((c) => c.outcome === outcome)
      .map(label)
      .join(', ') || 'none';
  const failures = changes.filter((c) => c.outcome === 'failed');
  const notChanged = changes
    .filter((c) => c.outcome === 'failed' || c.outcome === 'not run')
    .map((c) => `${label(c)} (${c.outcome === 'failed' ? 'failed' : `not started, ${c.from}K`})`);
  const lines = [
    `the capacity change to ${options.capacity}K TPM stopped part-way: ${failures.map((c) => c.error!.message).join('; ')}`,
    `  changed to ${options.capacity}K: ${list('updated')}`,
    ...(changes.some((c) => c.outcome === 'unchanged') ? [`  already at ${options.capacity}K: ${list('unchanged')}`] : []),
    `  not changed: ${notChanged.join(', ')}`,
  ];
  return new UserError('capacity-incomplete', lines.join('\n'), {
    suggestion: `${failures[0]?.fix ? `${failures[0].fix}; then ` : ''}run \`${options.rerun}\` again: it changes only the deployments not yet at ${options.capacity}K (OPENAI_CAPACITY is saved once all are)`,
    cause: failures[0]?.error,
  });
}
