import type { Command } from 'commander';
import type { StatusFlags } from '../ops/status.js';
import type { CommandSpec } from './command.js';
import { addEnvironmentOptions, canPrompt } from './environment-options.js';

/** `aoai-lb status`: the deployment and the balancer's live per-backend state. */
export const statusCommand: CommandSpec = {
  name: 'status',
  summary: "show the deployment (accounts, deployments, URL, replicas) and the balancer's live state per backend: healthy or cooling, 429s absorbed, failovers",
  configure(command: Command) {
    addEnvironmentOptions(command)
      .option('--watch', 'refresh until Ctrl-C (redrawn on a terminal, a new block each interval otherwise)')
      .option('--interval <seconds>', 'seconds between refreshes with --watch (default 2)')
      .option('--json', 'one JSON object on stdout (with --watch: one per line)');
  },
  async run(_args, options) {
    const flags = options as StatusFlags;
    const [{ runStatus }, { createStatusOutput }] = await Promise.all([import('../ops/status.js'), import('../ui/status-view.js')]);
    const color = !flags.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
    const output = createStatusOutput({ json: flags.json === true, watch: flags.watch === true, color, stdout: process.stdout });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    if (flags.watch) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    try {
      return await runStatus(flags, {
        show: (snapshot) => output.show(snapshot),
        warn: (message) => process.stderr.write(`status: ${message}\n`),
        signal: stop.signal,
        processEnv: process.env,
        interactive: canPrompt(),
      });
    } finally {
      output.done();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
