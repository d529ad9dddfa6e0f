import { Option, type Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import type { CommandSpec } from './command.js';
import { addEnvironmentOptions, canPrompt } from './environment-options.js';
import type { CapacityFlags, CapacityResult } from '../ops/capacity.js';

/** `aoai-lb capacity <K-TPM>`: change the deployments' tokens-per-minute in place on every account. */
export const capacityCommand: CommandSpec = {
  name: 'capacity',
  summary: 'change the capacity (thousands of tokens per minute) of the deployments in place on every account, after a quota check',
  configure(command: Command) {
    addEnvironmentOptions(command)
      .argument('<K-TPM>', 'thousands of tokens per minute per deployment on each account, e.g. 50 for 50K TPM')
      .addOption(new Option('--deployment <which>', 'which deployments to change').choices(['chat', 'embedding', 'all']).default('all'))
      .option('--json', 'print one JSON result on stdout (progress stays on stderr)');
  },
  async run(args, options) {
    const flags = options as CapacityFlags;
    const [{ runCapacity }, { createReporter, reporterMode }] = await Promise.all([import('../ops/capacity.js'), import('../ui/progress.js')]);
    const reporter = createReporter({ mode: reporterMode({ json: flags.json === true }) });
    try {
      const result = await runCapacity(args[0] as string | undefined, flags, { reporter, processEnv: process.env, interactive: canPrompt() });
      reporter.close();
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatCapacity(result));
      return ExitCode.ok;
    } finally {
      reporter.close();
    }
  },
};

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
  lines.push(result.saved ? `OPENAI_CAPACITY=${result.capacity} is saved in environment ${result.environment}.` : `OPENAI_CAPACITY stays ${result.storedCapacity ?? 'unset'} in environment ${result.environment} (the deployments differ; see the warning above).`);
  return `${lines.join('\n')}\n`;
}
