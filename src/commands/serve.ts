import { Option } from 'commander';
import { UserError, ExitCode } from '../core/errors.js';
import { commandLineKeyWarning, parseBackendSpec, readSecretFile, readSecretStdin, splitKeys } from '../core/secret-input.js';
import { balancerEnvironment, isBackendVariable } from '../core/balancer-environment.js';
import { collect } from '../core/flags.js';
import { defineCommand } from './define.js';
import { defaults as balancerDefaults } from '../../templates/balancer/dist/defaults.js';

interface ServeOptions {
  port?: string;
  host?: string;
  backend?: string[];
  priority?: string;
  deploymentName?: string;
  clientApiKeys?: string;
  clientApiKeysFile?: string;
  allowAnonymous?: boolean;
  azureClientId?: string;
  httpTimeout?: string;
  maxBodyBytes?: string;
  logFormat?: string;
}

/**
 * `aoai-lb serve`: the balancer runtime of templates/balancer in the foreground. Flags mirror the
 * environment variables the container reads and override them; anything not given comes from the
 * environment.
 */
export const serveCommand = defineCommand<ServeOptions, number>({
  name: 'serve',
  summary: 'run the balancer in the foreground (the same code as the container image)',
  options(command) {
    const d = balancerDefaults;
    command
      .option('--port <port>', `port to listen on (PORT; default ${d.PORT})`)
      .option('--host <host>', 'address to listen on (HOST; default 127.0.0.1, or HOST when set)')
      .option(
        '--backend <url[=@file|=key]>',
        'an Azure OpenAI endpoint; <url>=@<file> reads its API key from a file (preferred: `ps` shows a key given as <url>=<key>); without a key, managed identity; repeat for more (BACKEND_<n>_URL, BACKEND_<n>_APIKEY_FILE, BACKEND_<n>_APIKEY; default: the BACKEND_<n>_* variables)',
        collect,
      )
      .option('--priority <list>', 'comma-separated priorities, one per --backend, lower first (BACKEND_<n>_PRIORITY; default 1 each)')
      .option(
        '--deployment-name <list>',
        "comma-separated deployment names, one per --backend, empty to keep the client's (BACKEND_<n>_DEPLOYMENT_NAME; default: the client's)",
      )
      .option(
        '--client-api-keys-file <path>',
        'a file of the keys clients must present, comma- or newline-separated; - reads them from stdin (CLIENT_API_KEYS_FILE; preferred over --client-api-keys; required unless --allow-anonymous)',
      )
      .option(
        '--client-api-keys <keys>',
        'comma-separated keys clients must present; `ps` shows them, prefer --client-api-keys-file (CLIENT_API_KEYS; required unless --allow-anonymous)',
      )
      .option('--allow-anonymous', 'accept requests without a client key (ALLOW_ANONYMOUS=true; default false)')
      .option('--azure-client-id <id>', 'user-assigned managed identity for backend tokens (AZURE_CLIENT_ID; default: the system identity or az login)')
      .option('--http-timeout <seconds>', `longest silence allowed from a backend (HTTP_TIMEOUT_SECONDS; default ${d.HTTP_TIMEOUT_SECONDS})`)
      .option('--max-body-bytes <bytes>', `largest request body accepted (MAX_BODY_BYTES; default ${d.MAX_BODY_BYTES}, 32 MiB)`)
      .addOption(new Option('--log-format <format>', `log line format (LOG_FORMAT; default ${d.LOG_FORMAT})`).choices(['text', 'json']));
  },
  // The balancer handles SIGTERM/SIGINT itself: it finishes open requests, then resolves.
  async run(options, ctx) {
    const env = await serveEnvironment(options, ctx.processEnv);
    const { runBalancer } = await import('../../templates/balancer/dist/main.js');
    return runBalancer(env);
  },
});

/**
 * The balancer's environment: the process's, with the flags given laid over it. Keys read from files or
 * stdin go into this object only: not into argv, nor into process.env (/proc/<pid>/environ).
 */
export async function serveEnvironment(
  options: ServeOptions,
  base: NodeJS.ProcessEnv,
  io: { stdin: NodeJS.ReadStream; warn(line: string): void } = { stdin: process.stdin, warn: (line) => process.stderr.write(line) },
): Promise<Record<string, string | undefined>> {
  const env: Record<string, string | undefined> = { ...base };
  env.HOST = options.host ?? base.HOST ?? '127.0.0.1';
  if (options.port !== undefined) env.PORT = options.port;
  const backends = options.backend ?? [];
  if (backends.length > 0) {
    for (const name of Object.keys(env)) if (isBackendVariable(name)) delete env[name];
    const priorities = splitList(options.priority, backends.length, '--priority');
    const names = splitList(options.deploymentName, backends.length, '--deployment-name');
    const specs = backends.map((spec) => parseBackendSpec('--backend', spec));
    if (specs.some((spec) => spec.apiKey && spec.keyFile === undefined)) io.warn(commandLineKeyWarning('--backend <url>=<key>', '--backend <url>=@<file>'));
    Object.assign(
      env,
      balancerEnvironment(specs.map((spec, index) => ({ url: spec.url, apiKey: spec.apiKey, priority: priorities[index], deploymentName: names[index] }))),
    );
  } else if (options.priority !== undefined || options.deploymentName !== undefined) {
    throw new UserError('invalid-flag', '--priority and --deployment-name apply to --backend flags, and none was given.', {
      suggestion: 'add --backend <url> once per backend, e.g. --backend https://a.openai.azure.com --priority 1',
      exitCode: ExitCode.usage,
    });
  }
  await clientKeys(options, env, io);
  if (options.allowAnonymous) env.ALLOW_ANONYMOUS = 'true';
  if (options.azureClientId !== undefined) env.AZURE_CLIENT_ID = options.azureClientId;
  if (options.httpTimeout !== undefined) env.HTTP_TIMEOUT_SECONDS = options.httpTimeout;
  if (options.maxBodyBytes !== undefined) env.MAX_BODY_BYTES = options.maxBodyBytes;
  if (options.logFormat !== undefined) env.LOG_FORMAT = options.logFormat;
  return env;
}

/** --client-api-keys-file (a file, or - for stdin) or --client-api-keys; either replaces both variables. */
async function clientKeys(
  options: ServeOptions,
  env: Record<string, string | undefined>,
  io: { stdin: NodeJS.ReadStream; warn(line: string): void },
): Promise<void> {
  const flag = '--client-api-keys-file';
  if (options.clientApiKeysFile !== undefined && options.clientApiKeys !== undefined) {
    throw new UserError('invalid-flag', `${flag} and --client-api-keys both give the client keys.`, {
      suggestion: `keep ${flag} (\`ps\` shows the keys of --client-api-keys to every user of this machine)`,
      exitCode: ExitCode.usage,
    });
  }
  if (options.clientApiKeysFile !== undefined) {
    const path = options.clientApiKeysFile;
    const what = 'the client keys';
    const keys = splitKeys(path === '-' ? await readSecretStdin(flag, what, io.stdin) : readSecretFile(flag, path, what));
    if (keys.length === 0) {
      throw new UserError('invalid-flag', `${flag}: ${path === '-' ? 'stdin' : `"${path}"`} holds no keys.`, {
        suggestion: 'put the keys clients must present in it, one a line or comma-separated',
        exitCode: ExitCode.usage,
      });
    }
    delete env.CLIENT_API_KEYS_FILE;
    env.CLIENT_API_KEYS = keys.join(',');
  } else if (options.clientApiKeys !== undefined) {
    io.warn(commandLineKeyWarning('--client-api-keys', `${flag} <path> (or - for stdin)`));
    delete env.CLIENT_API_KEYS_FILE;
    env.CLIENT_API_KEYS = options.clientApiKeys;
  }
}

function splitList(value: string | undefined, count: number, flag: string): string[] {
  if (value === undefined) return [];
  const items = value.split(',').map((item) => item.trim());
  if (items.length !== count) {
    throw new UserError('invalid-flag', `${flag} has ${items.length} value(s) but ${count} --backend flag(s) were given.`, {
      suggestion: `give one comma-separated value per --backend, in the same order (empty to use the default)`,
      exitCode: ExitCode.usage,
    });
  }
  return items;
}
