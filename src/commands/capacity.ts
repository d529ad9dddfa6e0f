import { Option } from 'commander';
import type { CapacityFlags, CapacityResult } from '../ops/capacity/index.js';
import { defineCommand } from './define.js';
import { addEnvironmentOptions } from './environment-options.js';

/** `aoai-lb capacity <K-TPM>`: change the deployments' tokens-per-minute in place on every account. */
export const capacityCommand = defineCommand<CapacityFlags, { result: CapacityResult; text: string }>({
  name: 'capacity',
  summary: 'change the capacity (thousands of tokens per minute) of the deployments in place on every account, after a quota check',
  options(command) {
    addEnvironmentOptions(command)
      .argument('<K-TPM>', 'thousands of tokens per minute per deployment on each account, e.g. 50 for 50K TPM')
      .addOption(new Option('--deployment <which>', 'which deployments to change').choices(['chat', 'embedding', 'all']).default('all'))
      .option('--json', 'print one JSON result on stdout (progress stays on stderr)');
  },
  async run(flags, ctx) {
    const [{ runCapacity }, { formatCapacity }] = await Promise.all([import('../ops/capacity/index.js'), import('../ui/capacity-output.js')]);
    const result = await runCapacity(ctx.args[0], flags, { reporter: await ctx.reporter(), processEnv: ctx.processEnv, interactive: ctx.interactive });
    return { result, text: formatCapacity(result) };
  },
  print: { text: ({ text }) => text, json: ({ result }) => result },
});
