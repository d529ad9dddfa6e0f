import type { DownFlags, DownResult } from '../ops/down/index.js';
import { defineCommand } from './define.js';
import { addEnvironmentOptions } from './environment-options.js';

/** `aoai-lb down`: delete what `up` created (the tagged resource group), optionally purging the accounts. */
export const downCommand = defineCommand<DownFlags, { result: DownResult; text: string }>({
  name: 'down',
  summary: "delete the environment's resource group (only if aoai-lb created it) and, with --purge, free its OpenAI account names and quota",
  options(command) {
    addEnvironmentOptions(command)
      .option('--purge', 'purge the soft-deleted Azure OpenAI accounts, so their names and TPM quota are free at once (they cannot be restored)')
      .option('--force', 'delete without asking (needed without a terminal)')
      .option('--json', 'print one JSON result on stdout (progress stays on stderr)');
  },
  async run(flags, ctx) {
    const [{ runDown }, { askToDelete, formatDownResult }] = await Promise.all([import('../ops/down/index.js'), import('../ui/down-output.js')]);
    const result = await runDown(flags, { reporter: await ctx.reporter(), processEnv: ctx.processEnv, interactive: ctx.interactive, confirm: askToDelete });
    return { result, text: formatDownResult(result) };
  },
  print: { text: ({ text }) => text, json: ({ result }) => result },
});
