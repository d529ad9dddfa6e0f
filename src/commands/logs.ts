import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import type { LogsFlags } from '../ops/logs.js';
import type { CommandSpec } from './command.js';
import { addEnvironmentOptions, canPrompt } from './environment-options.js';

/** `aoai-lb logs`: the balancer's `Proxying to` lines (or all lines) from every running replica. */
export const logsCommand: CommandSpec = {
  name: 'logs',
  summary: "show the balancer's console logs from every running replica: by default its 'Proxying to' lines, the backend highlighted",
  configure(command: Command) {
    addEnvironmentOptions(command)
      .option('-f, --follow', 'keep streaming, following new replicas and revisions, until Ctrl-C')
      .option('--tail <n>', 'lines to ask of each replica first, 0 to 300 (default 100; the filter applies after)')
      .option('--all', "show every line, not only the 'Proxying to' ones")
      .option('--replica <name>', 'only this replica (its full name, or the short name printed in brackets)')
      .option('--json', 'one JSON object per line on stdout: {replica, revision, time, line, backend?}');
  },
  async run(_args, options) {
    const flags = options as LogsFlags;
    const [{ runLogs }, { createLogPrinter }] = await Promise.all([import('../ops/logs.js'), import('../ui/log-lines.js')]);
    const color = !flags.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
    const printer = createLogPrinter({ json: flags.json === true, color, stdout: process.stdout, stderr: process.stderr });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    if (flags.follow) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    // `logs --follow | head`: the reader left (EPIPE), so stop as if interrupted instead of crashing.
    process.stdout.on('error', onSignal);
    try {
      await runLogs(flags, { printer, signal: stop.signal, processEnv: process.env, interactive: canPrompt() });
      return ExitCode.ok;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
