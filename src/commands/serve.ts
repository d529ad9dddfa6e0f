import { Option, type Command } from 'commander';
import { UserError, ExitCode } from '../core/errors.js';
import type { CommandSpec } from './command.js';
import { defaults as balancerDefaults } from '../../templates/balancer/dist/defaults.js';

interface ServeOptions {
  port?: string;
  host?: string;
  backend?: string[];
  priority?: string;
  deploymentName?: string;
  clientApiKeys?: string;
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
export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'run the balancer in the foreground (the same code as the container image)',
  configure(command: Command) {
    const d = balancerDefaults;
    command
      .option('--port <port>', `port to listen on (PORT; default ${d.PORT})`)
      .option('--host <host>', 'address to listen on (HOST; default 127.0.0.1, or HOST when set)')
      .option('--backend <url[=key]>', 'an Azure OpenAI endpoint, optionally with its API key; repeat for more (BACKEND_<n>_URL, BACKEND_<n>_APIKEY; default: the BACKEND_<n>_* variables)', collect)
      .option('--priority <list>', 'comma-separated priorities, one per --backend, lower first (BACKEND_<n>_PRIORITY; default 1 each)')
      .option('--deployment-name <list>', 'comma-separated deployment names, one per --backend, empty to keep the client\'s (BACKEND_<n>_DEPLOYMENT_NAME; default: the client\'s)')
      .option('--client-api-keys <keys>', 'comma-separated keys clients must present (CLIENT_API_KEYS; required unless --allow-anonymous)')
      .option('--allow-anonymous', 'accept requests without a client key (ALLOW_ANONYMOUS=true; default false)')
      .option('--azure-client-id <id>', 'user-assigned managed identity for backend tokens (AZURE_CLIENT_ID; default: the system identity or az login)')
      .option('--http-timeout <seconds>', `longest silence allowed from a backend (HTTP_TIMEOUT_SECONDS; default ${d.HTTP_TIMEOUT_SECONDS})`)
      .option('--max-body-bytes <bytes>', `largest request body accepted (MAX_BODY_BYTES; default ${d.MAX_BODY_BYTES}, 32 MiB)`)
      .addOption(new Option('--log-format <format>', `log line format (LOG_FORMAT; default ${d.LOG_FORMAT})`).choices(['text', 'json']));
  },
  async run(_args, options) {
    const env = serveEnvironment(options as ServeOptions, process.env);
    const { runBalancer } = await import('../../templates/balancer/dist/main.js');
    return runBalancer(env);
  },
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The balancer's environment: the process's, with the flags given laid over it. */
export function serveEnvironment(options: ServeOptions, base: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base };
  env.HOST = options.host ?? base.HOST ?? '127.0.0.1';
  if (options.port !== undefined) env.PORT = options.port;
  const backends = options.backend ?? [];
  if (backends.length > 0) {
    for (const name of Object.keys(env)) if (/^BACKEND_\d+_/i.test(name)) delete env[name];
    const priorities = splitList(options.priority, backends.length, '--priority');
    const names = splitList(options.deploymentName, backends.length, '--deployment-name');
    backends.forEach((spec, index) => {
      const n = index + 1;
      const separator = spec.indexOf('=');
      env[`BACKEND_${n}_URL`] = separator === -1 ? spec : spec.slice(0, separator);
      if (separator !== -1) env[`BACKEND_${n}_APIKEY`] = spec.slice(separator + 1);
      if (priorities[index]) env[`BACKEND_${n}_PRIORITY`] = priorities[index];
      if (names[index]) env[`BACKEND_${n}_DEPLOYMENT_NAME`] = names[index];
    });
  } else if (options.priority !== undefined || options.deploymentName !== undefined) {
    throw new UserError('usage', '--priority and --deployment-name apply to --backend flags, and none was given.', {
      suggestion: 'add --backend <url> once per backend, e.g. --backend https://a.openai.azure.com --priority 1',
      exitCode: ExitCode.usage,
    });
  }
  if (options.clientApiKeys !== undefined) env.CLIENT_API_KEYS = options.clientApiKeys;
  if (options.allowAnonymous) env.ALLOW_ANONYMOUS = 'true';
  if (options.azureClientId !== undefined) env.AZURE_CLIENT_ID = options.azureClientId;
  if (options.httpTimeout !== undefined) env.HTTP_TIMEOUT_SECONDS = options.httpTimeout;
  if (options.maxBodyBytes !== undefined) env.MAX_BODY_BYTES = options.maxBodyBytes;
  if (options.logFormat !== undefined) env.LOG_FORMAT = options.logFormat;
  return env;
}

function splitList(value: string | undefined, count: number, flag: string): string[] {
  if (value === undefined) return [];
  const items = value.split(',').map((item) => item.trim());
  if (items.length !== count) {
    throw new UserError('usage', `${flag} has ${items.length} value(s) but ${count} --backend flag(s) were given.`, {
      suggestion: `give one comma-separated value per --backend, in the same order (empty to use the default)`,
      exitCode: ExitCode.usage,
    });
  }
  return items;
}
