import { Option } from 'commander';
import type { UpFlags } from '../ops/up/index.js';
import type { UpOutcome } from '../ops/up/index.js';
import { defineCommand } from './define.js';
import { addEnvironmentOptions } from './environment-options.js';

/** `aoai-lb up`: provision and deploy the whole topology; idempotent and resumable. */
export const upCommand = defineCommand<UpFlags, { outcome: UpOutcome; text: string }>({
  name: 'up',
  summary: 'provision the Azure OpenAI accounts and deploy the balancer to Container Apps, then print CONTAINER_APP_URL',
  options(command) {
    addEnvironmentOptions(command, 'the environment (default: the selected one; created when new)')
      .option('--location <region>', "region of the resource group, Container Apps and registry (AZURE_LOCATION; default: the first account's region)")
      .option('--regions <list|auto>', 'one region per OpenAI account, comma-separated, or auto: the regions with the most free quota (OPENAI_REGIONS)')
      .option('--accounts <n>', 'how many OpenAI accounts with --regions auto (default 3)')
      .option('--capacity <k>', 'thousands of tokens per minute per deployment (OPENAI_CAPACITY, default 30)')
      .addOption(new Option('--sku <sku>', 'deployment SKU (OPENAI_SKU, default Standard)').choices(['Standard', 'GlobalStandard']))
      .option('--chat-model <name:version>', 'chat model (default gpt-5.4-mini:2026-03-17)')
      .option('--embedding-model <name:version>', 'embedding model (default text-embedding-3-large:1)')
      .option('--chat-deployment <name>', 'chat deployment name (default chat)')
      .option('--embedding-deployment <name>', 'embedding deployment name (default embedding)')
      .option('--priorities <list>', 'balancer priority per account, lower first, e.g. 1,1,2 (default all 1)')
      .addOption(
        new Option(
          '--client-auth <mode>',
          'how clients authenticate: keys (the client key), entra (Entra ID tokens, keyless) or both (BALANCER_CLIENT_AUTH, default keys)',
        ).choices(['keys', 'entra', 'both']),
      )
      .option(
        '--allowed-client-ids <list>',
        "with entra/both: the client (app) or object ids allowed, comma-separated, e.g. the chat app identity's (default: any client of the tenant)",
      )
      .option(
        '--shared-state',
        "the replicas share cooldowns and a token ledger through an Azure Managed Redis (Balanced_B0, Entra ID only, in the balancer's region; BALANCER_SHARED_STATE)",
      )
      .option('--no-shared-state', 'stop sharing state (the Azure Managed Redis is kept until deleted or `down`)')
      .option('--image <ref>', 'deploy this prebuilt image instead of building templates/balancer with ACR Tasks')
      .option('--dry-run', 'print the plan and the quota check; change nothing')
      .option('--json', 'print one JSON result on stdout (progress stays on stderr)')
      .option('--show-key', 'include the client API key in the output');
  },
  async run(flags, ctx) {
    const [{ runUp }, { formatPlan, formatResult }] = await Promise.all([import('../ops/up/index.js'), import('../ui/up-output.js')]);
    const outcome = await runUp(flags, { reporter: await ctx.reporter(), processEnv: ctx.processEnv, interactive: ctx.interactive });
    return { outcome, text: outcome.kind === 'dry-run' ? formatPlan(outcome.plan, outcome.subscriptionId) : formatResult(outcome.result) };
  },
  print: {
    text: ({ text }) => text,
    json: ({ outcome }) => (outcome.kind === 'dry-run' ? { dryRun: true, subscriptionId: outcome.subscriptionId, plan: outcome.plan } : outcome.result),
  },
});
