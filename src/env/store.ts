/**
 * The azd-compatible environment store of a project folder (azure-provisioning.md §6):
 * `.azure/config.json` names the default environment, `.azure/<env>/.env` holds its values, and
 * `.azure/.gitignore` keeps it all out of git. Files are written atomically (temporary file + rename).
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, ExitCode } from '../core/errors.js';
import { DotenvSyntaxError, marshalDotenv, parseDotenv, type EnvValues } from './dotenv.js';

export const azureDirName = '.azure';
const gitignore = '# .azure is not intended to be committed\n*';
/** azd's rule for environment names. */
const envNamePattern = /^[a-zA-Z0-9-()_.]{1,64}$/;

interface ProjectConfig {
  version: number;
  defaultEnvironment?: string;
  [other: string]: unknown;
}

export class EnvStore {
  readonly azureDir: string;

  constructor(readonly projectDir: string) {
    this.azureDir = join(projectDir, azureDirName);
  }

  envFile(name: string): string {
    return join(this.azureDir, name, '.env');
  }

  async defaultEnvironment(): Promise<string | undefined> {
    const config = await this.readConfig();
    return typeof config?.defaultEnvironment === 'string' && config.defaultEnvironment ? config.defaultEnvironment : undefined;
  }

  async setDefaultEnvironment(name: string): Promise<void> {
    const config = (await this.readConfig()) ?? { version: 1 };
    await this.ensureAzureDir();
    // azd writes json.Marshal output: compact, no trailing newline.
    await atomicWrite(join(this.azureDir, 'config.json'), JSON.stringify({ ...config, version: config.version ?? 1, defaultEnvironment: name }));
  }

  async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.azureDir, { withFileTypes: true });
      return entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async exists(name: string): Promise<boolean> {
    return (await this.list()).includes(name);
  }

  /** The environment's values; undefined when it does not exist. */
  async read(name: string): Promise<EnvValues | undefined> {
    const file = this.envFile(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return (await this.exists(name)) ? {} : undefined;
    }
    try {
      return parseDotenv(text);
    } catch (error) {
      if (!(error instanceof DotenvSyntaxError)) throw error;
      throw new UserError('env-file-invalid', `${file} cannot be read: ${error.message}.`, {
        suggestion: 'fix that line by hand (KEY="value"), or remove it and run the command again',
        cause: error,
      });
    }
  }

  /** Creates the environment with azd's defaults when it does not exist yet. */
  async create(name: string, initial: EnvValues = {}): Promise<void> {
    validateEnvName(name);
    await this.ensureAzureDir();
    await mkdir(join(this.azureDir, name), { recursive: true });
    const current = (await this.read(name)) ?? {};
    await this.write(name, { AZURE_ENV_NAME: name, ...initial, ...current });
  }

  /** Sets (or, with undefined, removes) keys and leaves every other key as it was. */
  async update(name: string, changes: Record<string, string | undefined>): Promise<EnvValues> {
    const current = await this.read(name);
    if (current === undefined) throw missingEnvironment(name);
    const next: EnvValues = { ...current };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    await this.write(name, next);
    return next;
  }

  private async write(name: string, values: EnvValues): Promise<void> {
    await atomicWrite(this.envFile(name), marshalDotenv(values));
  }

  private async ensureAzureDir(): Promise<void> {
    await mkdir(this.azureDir, { recursive: true });
    const ignore = join(this.azureDir, '.gitignore');
    try {
      await writeFile(ignore, gitignore, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }

  private async readConfig(): Promise<ProjectConfig | undefined> {
    const file = join(this.azureDir, 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as ProjectConfig;
    } catch (error) {
      throw new UserError('config-invalid', `${file} is not valid JSON.`, {
        suggestion: 'fix it by hand, or delete it and select an environment again with `aoai-lb env select <name>`',
        cause: error,
      });
    }
  }
}

export function validateEnvName(name: string): void {
  if (!envNamePattern.test(name)) {
    throw new UserError('env-name-invalid', `"${name}" is not a valid environment name.`, {
      suggestion: 'use 1–64 letters, digits, "-", "_", ".", "(" or ")", e.g. --env dev',
      exitCode: ExitCode.usage,
    });
  }
}

export function missingEnvironment(name: string): UserError {
  return new UserError('env-not-found', `environment "${name}" does not exist in this folder's .azure/.`, {
    suggestion: `create it with \`aoai-lb env new ${name}\`, or list the existing ones with \`aoai-lb env list\``,
  });
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}
