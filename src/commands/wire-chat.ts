import { Option } from 'commander';
import { ExitCode } from '../core/errors.js';
import type { WireChatFlags } from '../ops/wire-chat/index.js';
import { defineCommand } from './define.js';
import { addEnvironmentOptions } from './environment-options.js';

interface WireChatOptions extends WireChatFlags {
  json?: boolean;
}

/** `aoai-lb wire-chat`: point the chat app's azd environment at the balancer, then `azd up` there (or with --deploy). */
export const wireChatCommand = defineCommand<WireChatOptions, number>({
  name: 'wire-chat',
  summary: "point a chat app's azd environment (azure-search-openai-demo) at the balancer: URL, client key, deployments",
  options(command) {
    addEnvironmentOptions(command, 'the aoai-lb environment `up` deployed (default: the selected one)')
      .option('--chat-dir <dir>', "the chat app's azd project folder (default: the current folder)")
      .option('--chat-env <name>', 'its azd environment (default: the one selected there)')
      .option('--create', 'create the chat environment when it does not exist, as `azd env new` does')
      .addOption(
        new Option('--generation <year>', "the chat app's OpenAI client generation (default: read from its app/backend source)").choices(['2024', '2025']),
      )
      .option('--deploy', 'run `azd up` in the chat app afterwards, streaming its output')
      .option('--json', 'print one JSON result on stdout (secrets masked)');
  },
  async run(flags, ctx) {
    const [{ runWireChat, deployChatApp }, { formatWireChat, wireChatJson }] = await Promise.all([
      import('../ops/wire-chat/index.js'),
      import('../ui/wire-chat-output.js'),
    ]);
    const result = await runWireChat(flags, { processEnv: ctx.processEnv, interactive: ctx.interactive });
    // Printed before `azd up` starts streaming, so it is not a result printed at the end.
    ctx.stdout.write(ctx.output === 'json' ? `${JSON.stringify(wireChatJson(result), null, 2)}\n` : formatWireChat(result, flags.deploy === true));
    if (!flags.deploy) return ExitCode.ok;
    ctx.stderr.write(`\nRunning azd up in ${result.chatDir} (environment ${result.chatEnvironment})…\n`);
    const code = await deployChatApp(result, ctx.output === 'json' ? 2 : 1);
    if (code !== 0)
      ctx.stderr.write(
        `error: \`azd up\` exited with ${code}; the chat environment keeps the new values, so run \`azd up\` in ${result.chatDir} again once fixed.\n`,
      );
    return code === 0 ? ExitCode.ok : ExitCode.failure;
  },
});
