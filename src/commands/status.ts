import type { StatusFlags } from '../ops/status/index.js';
import { defineCommand } from './define.js';
import { addEnvironmentOptions } from './environment-options.js';

/** `aoai-lb status`: the deployment and the balancer's live per-backend state. */
export const statusCommand = defineCommand<StatusFlags, number>({
  name: 'status',
  summary: "show the deployment (accounts, deployments, URL, replicas) and the balancer's live state per backend: healthy or cooling, 429s absorbed, failovers",
  options(command) {
    addEnvironmentOptions(command)
      .option('--watch', 'refresh until Ctrl-C (redrawn on a terminal, a new block each interval otherwise)')
      .option('--interval <seconds>', 'seconds between refreshes with --watch (default 2)')
      .option('--json', 'one JSON object on stdout (with --watch: one per line)');
  },
  interruptible: (flags) => flags.watch === true,
  async run(flags, ctx) {
    const [{ runStatus }, { createStatusOutput }] = await Promise.all([import('../ops/status/index.js'), import('../ui/status-view.js')]);
    const output = createStatusOutput({ json: ctx.output === 'json', watch: flags.watch === true, color: ctx.color, stdout: ctx.stdout });
    try {
      return await runStatus(flags, {
        show: (snapshot) => output.show(snapshot),
        warn: (message) => ctx.stderr.write(`status: ${message}\n`),
        signal: ctx.signal,
        processEnv: ctx.processEnv,
        interactive: ctx.interactive,
      });
    } finally {
      output.done();
    }
  },
});
