import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import type { CommandSpec } from './command.js';
import { addEnvironmentOptions, canPrompt } from './environment-options.js';
import type { DownFlags } from '../ops/down.js';

/** `aoai-lb down`: delete what `up` created (the tagged resource group), optionally purging the accounts. */
export const downCommand: CommandSpec = {
  name: 'down',
  summary: "delete the environment's resource group (only if aoai-lb created it) and, with --purge, free its OpenAI account names and quota",
  configure(command: Command) {
    addEnvironmentOptions(command)
      .option('--purge', 'purge the soft-deleted Azure OpenAI accounts, so their names and TPM quota are free at once (they cannot be restored)')
      .option('--force', 'delete without asking (needed without a terminal)')
      .option('--json', 'print one JSON result on stdout (progress stays on stderr)');
  },
  async run(_args, options) {
    const flags = options as DownFlags;
    const [{ runDown }, { createReporter, reporterMode }, { askToDelete, formatDownResult }] = await Promise.all([
      import('../ops/down.js'),
      import('../ui/progress.js'),
      import('./down-output.js'),
    ]);
    const reporter = createReporter({ mode: reporterMode({ json: flags.json === true }) });
    try {
      const interactive = canPrompt();
      const result = await runDown(flags, { reporter, processEnv: process.env, interactive, confirm: askToDelete });
      reporter.close();
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatDownResult(result));
      return ExitCode.ok;
    } finally {
      reporter.close();
    }
  },
};
