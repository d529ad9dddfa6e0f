import type { Command } from 'commander';
import { ExitCode, UserError } from '../core/errors.js';
import { marshalDotenv } from '../env/dotenv.js';
import { resolveEnvironment } from '../env/resolve.js';
import { EnvStore, validateEnvName } from '../env/store.js';
import type { CommandSpec } from './command.js';

interface EnvOptions {
  env?: string;
  cwd?: string;
  json?: boolean;
}

const projectDir = (options: EnvOptions): string => options.cwd ?? process.cwd();
const out = (text: string): void => {
  process.stdout.write(text);
};

const getValues: CommandSpec = {
  name: 'get-values',
  summary: "print the environment's values, as `azd env get-values` does",
  configure: (command: Command) => command.option('-e, --env <name>', 'the environment (default: the selected one)').option('--json', 'print one JSON object'),
  async run(_args, options) {
    const { env, json } = options as EnvOptions;
    const { store, name } = await resolveEnvironment(projectDir(options as EnvOptions), env);
    const values = (await store.read(name)) ?? {};
    if (json) {
      const sorted = Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      out(`${JSON.stringify(sorted, null, 2)}\n`);
    } else {
      out(marshalDotenv(values, { azdFixup: false }));
    }
    return ExitCode.ok;
  },
};

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

const set: CommandSpec = {
  name: 'set',
  summary: 'set a value in the environment (e.g. `env set OPENAI_CAPACITY 50`, then `up`)',
  configure: (command: Command) => command.argument('<key>').argument('<value>').option('-e, --env <name>', 'the environment (default: the selected one)'),
  async run(args, options) {
    const [key, value] = args as [string, string];
    if (!keyPattern.test(key)) {
      throw new UserError('env-key-invalid', `"${key}" is not a valid variable name.`, {
        suggestion: 'use letters, digits and "_", not starting with a digit, e.g. OPENAI_CAPACITY',
        exitCode: ExitCode.usage,
      });
    }
    const { store, name } = await resolveEnvironment(projectDir(options as EnvOptions), (options as EnvOptions).env);
    await store.update(name, { [key]: value });
    return ExitCode.ok;
  },
};

const create: CommandSpec = {
  name: 'new',
  summary: 'create an environment and select it',
  configure: (command: Command) => command.argument('<name>'),
  async run(args, options) {
    const [name] = args as [string];
    validateEnvName(name);
    const store = new EnvStore(projectDir(options as EnvOptions));
    if (await store.exists(name)) {
      throw new UserError('env-exists', `environment "${name}" already exists.`, { suggestion: `select it with \`aoai-lb env select ${name}\``, exitCode: ExitCode.usage });
    }
    await store.create(name);
    await store.setDefaultEnvironment(name);
    out(`Created environment ${name} (${store.envFile(name)}) and selected it.\n`);
    return ExitCode.ok;
  },
};

const select: CommandSpec = {
  name: 'select',
  summary: 'make an environment the default',
  configure: (command: Command) => command.argument('<name>'),
  async run(args, options) {
    const [name] = args as [string];
    const { store } = await resolveEnvironment(projectDir(options as EnvOptions), name);
    await store.setDefaultEnvironment(name);
    return ExitCode.ok;
  },
};

const list: CommandSpec = {
  name: 'list',
  summary: 'list the environments of this folder',
  configure: (command: Command) => command.option('--json', 'print one JSON array'),
  async run(_args, options) {
    const store = new EnvStore(projectDir(options as EnvOptions));
    const names = await store.list();
    const selected = await store.defaultEnvironment();
    if ((options as EnvOptions).json) out(`${JSON.stringify(names.map((name) => ({ name, isDefault: name === selected })), null, 2)}\n`);
    else out(names.map((name) => `${name === selected ? '*' : ' '} ${name}\n`).join(''));
    return ExitCode.ok;
  },
};

/** `aoai-lb env …`: the azd-compatible environment store (.azure/<env>/.env). */
export const envCommand: CommandSpec = {
  name: 'env',
  summary: "manage environments (.azure/<env>/.env, azd's format)",
  configure: (command: Command) => command.option('--cwd <dir>', 'the project folder that holds .azure/ (default: the current folder)'),
  subcommands: [getValues, set, create, select, list],
};
