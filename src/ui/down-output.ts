/** What `down` shows: the plan before it asks, the question itself, and the result on stdout. */
import { askLine } from '../core/ask.js';
import type { DownPlan, DownResult } from '../ops/down/index.js';

export function formatDownPlan(plan: DownPlan): string {
  const lines: string[] = [];
  if (plan.group) {
    lines.push(`Resource group ${plan.resourceGroup} (${plan.group.location}) of environment ${plan.environment} will be deleted, with everything in it:`);
    for (const resource of plan.group.resources)
      lines.push(`  ${resource.kind.padEnd(28)} ${resource.name}${resource.location ? ` (${resource.location})` : ''}`);
    if (plan.group.resources.length === 0) lines.push('  (none of the resources aoai-lb creates)');
    lines.push(
      plan.purgeFlag
        ? 'Its Azure OpenAI accounts will then be purged: they cannot be restored.'
        : 'Its Azure OpenAI accounts stay soft-deleted for 48 hours, holding their names and quota (--purge frees them).',
    );
  }
  if (plan.purge.length > 0) {
    lines.push(`Soft-deleted Azure OpenAI accounts of environment ${plan.environment} will be purged for good:`);
    for (const account of plan.purge) lines.push(`  ${account.name} (${account.location})`);
  }
  return `${lines.join('\n')}\n`;
}

/** Asks on stderr; anything but y/yes, or stdin closing (Ctrl-D), is a no. */
export async function askToDelete(plan: DownPlan): Promise<boolean> {
  process.stderr.write(formatDownPlan(plan));
  return /^y(es)?$/i.test((await askLine('Delete? [y/N] ')) ?? '');
}

export function formatDownResult(result: DownResult): string {
  const group = {
    deleted: `Deleted resource group ${result.resourceGroup} (${result.resources.length} resources) in ${result.seconds}s.`,
    finished: `Resource group ${result.resourceGroup} is deleted (an earlier run had started it).`,
    absent: `Resource group ${result.resourceGroup} does not exist: nothing to delete.`,
  };
  const lines = [group[result.group]];
  if (result.purged.length > 0) lines.push(`Purged ${result.purged.join(', ')}: their names and quota are free.`);
  if (result.clearedOutputs.length > 0)
    lines.push(`Cleared ${result.clearedOutputs.join(', ')} from environment ${result.environment}; its settings stay for the next \`aoai-lb up\`.`);
  return `${lines.join('\n')}\n`;
}
