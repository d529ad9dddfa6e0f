import { Option, type Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import type { CommandSpec } from './command.js';
import { addEnvironmentOptions, canPrompt } from './environment-options.js';
import type { UpFlags } from '../ops/up/settings.js';

/** `aoai-lb up`: provision and deploy the whole topology; idempotent and resumable. */
export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'provision the Azure OpenAI accounts and deploy the balancer to Container Apps, then print CONTAINER_APP_URL',
  configure(command: Command) {
    addEnvironmentOptions(command, 'the environment (default: the selected one; created when new)')
      .option('--location <region>', 'region of the resource group, Container Apps and registry (AZURE_LOCATION; default: the first account\'s region)')
      .option('--regions <list|auto>', 'one region per OpenAI account, comma-separated, or auto: the regions with the most free quota (OPENAI_REGIONS)')
      .option('--accounts <n>', 'how many OpenAI accounts with --regions auto (default 3)')
      .option('--capacity <k>', 'thousands of tokens per minute per deployment (OPENAI_CAPACITY, default 30)')
      .addOption(new Option('--sku <sku>', 'deployment SKU (OPENAI_SKU, default Standard)').choices(['Standard', 'GlobalStandard']))
      .option('--chat-model <name:version>', 'chat model (default gpt-5.4-mini:2026-03-17)')
      .option('--embedding-model <name:version>', 'embedding model (default text-embedding-3-large:1)')
      .option('--chat-deployment <name>', 'chat deployment name (default chat)')
      .option('--embedding-deployment <name>', 'embedding deployment name (default embedding)')
      .option('--priorities <list>', 'balancer priority per account, lower first, e.g. 1,1,2 (default all 1)')
      .addOption(new Option('--client-auth <mode>', 'how clients authenticate: keys (the client key), entra (Entra ID tokens, keyless) or both (BALANCER_CLIENT_AUTH, default keys)').choices(['keys', 'entra', 'both']))
      .option('--allowed-client-ids <list>', 'with entra/both: the client (app) or object ids allowed, comma-separated, e.g. the chat app identity\'s (default: any client of the tenant)')
      .option('--image <ref>', 'deploy this prebuilt image instead of building templates/balancer with ACR Tasks')
      .option('--dry-run', 'print the plan and the quota check; change nothing')
      .option('--json', 'print one JSON result on stdout (progress stays on stderr)')
      .option('--show-key', 'include the client API key in the output');
  },
  async run(_args, options) {
    const flags = options as UpFlags;
    const [{ runUp }, { createReporter, reporterMode }, { formatPlan, formatResult }] = await Promise.all([
      import('../ops/up/index.js'),
      import('../ui/progress.js'),
      import('./up-output.js'),
    ]);
    const reporter = createReporter({ mode: reporterMode({ json: flags.json === true }) });
    try {
      const outcome = await runUp(flags, { reporter, processEnv: process.env, interactive: canPrompt() });
      reporter.close();
      if (outcome.kind === 'dry-run') {
        process.stdout.write(flags.json ? `${JSON.stringify({ dryRun: true, subscriptionId: outcome.subscriptionId, plan: outcome.plan }, null, 2)}\n` : formatPlan(outcome.plan, outcome.subscriptionId));
      } else {
        process.stdout.write(flags.json ? `${JSON.stringify(outcome.result, null, 2)}\n` : formatResult(outcome.result));
      }
      return ExitCode.ok;
    } finally {
      reporter.close();
    }
  },
};
