import type { LogsFlags } from '../ops/logs/index.js';
import { defineCommand } from './define.js';
import { addEnvironmentOptions } from './environment-options.js';

/** `aoai-lb logs`: the balancer's `Proxying to` lines (or all lines) from every running replica. */
export const logsCommand = defineCommand<LogsFlags, number>({
  name: 'logs',
  summary: "show the balancer's console logs from every running replica: by default its 'Proxying to' lines, the backend highlighted",
  options(command) {
    addEnvironmentOptions(command)
      .option('-f, --follow', 'keep streaming, following new replicas and revisions, until Ctrl-C')
      .option('--tail <n>', 'lines to ask of each replica first, 0 to 300 (default 100; the filter applies after)')
      .option('--all', "show every line, not only the 'Proxying to' ones")
      .option('--replica <name>', 'only this replica (its full name, or the short name printed in brackets)')
      .option('--json', 'one JSON object per line on stdout: {replica, revision, time, line, backend?}');
  },
  interruptible: (flags) => flags.follow === true,
  async run(flags, ctx) {
    const [{ runLogs }, { createLogPrinter }] = await Promise.all([import('../ops/logs/index.js'), import('../ui/log-lines.js')]);
    const printer = createLogPrinter({ json: ctx.output === 'json', color: ctx.color, stdout: ctx.stdout, stderr: ctx.stderr });
    await runLogs(flags, { printer, signal: ctx.signal, processEnv: ctx.processEnv, interactive: ctx.interactive });
    return 0;
  },
});
