import { ExitCode, UserError } from '../core/errors.js';
import { marshalDotenv } from '../env/dotenv.js';
import { resolveEnvironment } from '../env/resolve.js';
import { EnvStore, validateEnvName } from '../env/store.js';
import { defineCommand, defineGroup } from './define.js';

interface EnvOptions {
  env?: string;
  cwd?: string;
  json?: boolean;
}

const projectDir = (options: EnvOptions): string => options.cwd ?? process.cwd();

const getValues = defineCommand<EnvOptions, Record<string, string>>({
  name: 'get-values',
  summary: "print the environment's values, as `azd env get-values` does",
  options: (command) => command.option('-e, --env <name>', 'the environment (default: the selected one)').option('--json', 'print one JSON object'),
  async run(options) {
    const { store, name } = await resolveEnvironment(projectDir(options), options.env);
    const values = (await store.read(name)) ?? {};
    return Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  },
  print: { text: (values) => marshalDotenv(values, { azdFixup: false }) },
});

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

const set = defineCommand<EnvOptions, number>({
  name: 'set',
  summary: 'set a value in the environment (e.g. `env set OPENAI_CAPACITY 50`, then `up`)',
  options: (command) => command.argument('<key>').argument('<value>').option('-e, --env <name>', 'the environment (default: the selected one)'),
  async run(options, ctx) {
    const [key, value] = ctx.args as [string, string];
    if (!keyPattern.test(key)) {
      throw new UserError('env-key-invalid', `"${key}" is not a valid variable name.`, {
        suggestion: 'use letters, digits and "_", not starting with a digit, e.g. OPENAI_CAPACITY',
        exitCode: ExitCode.usage,
      });
    }
    const { store, name } = await resolveEnvironment(projectDir(options), options.env);
    await store.update(name, { [key]: value });
    return ExitCode.ok;
  },
});

const create = defineCommand<EnvOptions, string>({
  name: 'new',
  summary: 'create an environment and select it',
  options: (command) => command.argument('<name>'),
  async run(options, ctx) {
    const [name] = ctx.args as [string];
    validateEnvName(name);
    const store = new EnvStore(projectDir(options));
    if (await store.exists(name)) {
      throw new UserError('env-exists', `environment "${name}" already exists.`, {
        suggestion: `select it with \`aoai-lb env select ${name}\``,
        exitCode: ExitCode.usage,
      });
    }
    await store.create(name);
    await store.setDefaultEnvironment(name);
    return `Created environment ${name} (${store.envFile(name)}) and selected it.\n`;
  },
  print: { text: (line) => line },
});

const select = defineCommand<EnvOptions, number>({
  name: 'select',
  summary: 'make an environment the default',
  options: (command) => command.argument('<name>'),
  async run(options, ctx) {
    const [name] = ctx.args as [string];
    const { store } = await resolveEnvironment(projectDir(options), name);
    await store.setDefaultEnvironment(name);
    return ExitCode.ok;
  },
});

const list = defineCommand<EnvOptions, Array<{ name: string; isDefault: boolean }>>({
  name: 'list',
  summary: 'list the environments of this folder',
  options: (command) => command.option('--json', 'print one JSON array'),
  async run(options) {
    const store = new EnvStore(projectDir(options));
    const selected = await store.defaultEnvironment();
    return (await store.list()).map((name) => ({ name, isDefault: name === selected }));
  },
  print: { text: (environments) => environments.map(({ name, isDefault }) => `${isDefault ? '*' : ' '} ${name}\n`).join('') },
});

/** `aoai-lb env …`: the azd-compatible environment store (.azure/<env>/.env). */
export const envCommand = defineGroup({
  name: 'env',
  summary: "manage environments (.azure/<env>/.env, azd's format)",
  options: (command) => command.option('--cwd <dir>', 'the project folder that holds .azure/ (default: the current folder)'),
  subcommands: [getValues, set, create, select, list],
});
