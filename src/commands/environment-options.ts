import type { Command } from 'commander';

/** The flags of every command that works on a deployed environment: which one, in which subscription, where. */
export function addEnvironmentOptions(command: Command, envHelp = 'the environment (default: the selected one)'): Command {
  return command
    .option('-e, --env <name>', envHelp)
    .option(
      '--subscription <id>',
      "the Azure subscription (default: AZURE_SUBSCRIPTION_ID, else the one the environment records, else azd's or the Azure CLI's default)",
    )
    .option('--cwd <dir>', 'the project folder holding .azure/ (default: the current folder)');
}
