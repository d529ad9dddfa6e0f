/** What `capacity` prints: each deployment's capacity and the aggregate, and whether it was saved. */
import type { CapacityResult } from '../ops/capacity/index.js';

export function formatCapacity(result: CapacityResult): string {
  const changes = result.accounts.flatMap((account) => account.deployments).filter((d) => d.outcome === 'updated' || d.outcome === 'unchanged');
  const updated = changes.filter((d) => d.outcome === 'updated').length;
  const which = result.deployment === 'all' ? 'every deployment' : `the ${result.deployment} deployment`;
  const lines = [
    `${which[0]!.toUpperCase()}${which.slice(1)} is at ${result.capacity}K TPM on each of ${result.accounts.length} accounts (${updated} changed, ${changes.length - updated} already there).`,
    'Aggregate capacity:',
  ];
  const width = Math.max(...result.aggregate.map((a) => a.deployment.length));
  for (const a of result.aggregate) {
    const same = a.perAccount.every((k) => k === a.perAccount[0]);
    const parts = same ? `${a.perAccount.length} × ${a.perAccount[0]}K` : a.perAccount.map((k) => `${k}K`).join(' + ');
    lines.push(`  ${a.deployment.padEnd(width)}  ${parts} = ${a.totalK}K TPM`);
  }
  lines.push(
    result.saved
      ? `OPENAI_CAPACITY=${result.capacity} is saved in environment ${result.environment}.`
      : `OPENAI_CAPACITY stays ${result.storedCapacity ?? 'unset'} in environment ${result.environment} (the deployments differ; see the warning above).`,
  );
  return `${lines.join('\n')}\n`;
}
