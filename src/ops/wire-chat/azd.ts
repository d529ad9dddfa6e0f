/** Running the Azure Developer CLI for wire-chat: `azd env new`, `azd env set`, `azd up`. */
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { marshalDotenv } from '../../env/dotenv.js';
import { EnvStore } from '../../env/store.js';
import { secretKeys } from './values.js';

/** The azd executable on PATH, or undefined when there is none (then the .env is written directly). */
export async function findAzd(processEnv: NodeJS.ProcessEnv): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['azd.exe', 'azd.cmd', 'azd'] : ['azd'];
  for (const dir of (processEnv.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface AzdProject {
  azd: string;
  chatDir: string;
  env: string;
  processEnv: NodeJS.ProcessEnv;
}

interface AzdRun {
  ok: boolean;
  /** azd's last lines (stderr, else stdout, else execa's summary). */
  output: string;
}

async function exec(project: AzdProject, args: string[]): Promise<AzdRun> {
  const { execa } = await import('execa');
  const result = await execa(project.azd, args, { cwd: project.chatDir, env: project.processEnv, extendEnv: false, reject: false, stdin: 'ignore' });
  const output = (result.stderr || result.stdout || result.shortMessage || '').toString().trim();
  return { ok: result.exitCode === 0 && !result.failed, output };
}

/** azd's failure, in azd's words; never the command line, and `secret` blotted out should azd echo it. */
function failed(project: AzdProject, what: string, result: AzdRun, secret?: string): UserError {
  let detail = result.output.split('\n').slice(-3).join(' ');
  if (secret) detail = detail.split(secret).join('***');
  return new UserError('azd-failed', `\`azd ${what}\` failed in ${project.chatDir}${detail ? `: ${detail}` : ''}.`, {
    suggestion: 'run `azd version` to check azd works there, or remove azd from PATH to let aoai-lb write .azure/<env>/.env itself',
  });
}

async function run(project: AzdProject, args: string[], what: string): Promise<void> {
  const result = await exec(project, args);
  if (!result.ok) throw failed(project, what, result);
}

/** `azd env new <name> --no-prompt`: creates the environment and makes it the default, as azd does. */
export async function azdEnvNew(project: AzdProject): Promise<void> {
  await run(project, ['env', 'new', project.env, '--no-prompt', '--cwd', project.chatDir], `env new ${project.env}`);
}

/**
 * One `azd env set` per key; `--` first, so a value starting with "-" is not read as a flag. A secret
 * (the client key) never goes on azd's command line: see azdEnvSetSecret.
 */
export async function azdEnvSet(project: AzdProject, key: string, value: string): Promise<void> {
  // An empty value (a keyless balancer empties the key) reveals nothing, and every azd takes it.
  if (secretKeys.has(key) && value !== '') {
    await azdEnvSetSecret(project, key, value);
    return;
  }
  await run(project, ['env', 'set', '--environment', project.env, '--cwd', project.chatDir, '--', key, value], `env set ${key}`);
}

/**
 * Sets a secret without putting it on any command line, where `ps` and /proc/<pid>/cmdline show it to
 * every user of the machine while azd runs.
 *
 * azd 1.17.1 and newer read values from a .env-format file: `azd env set --file <path>` (Azure/azure-dev
 * PR #4942, parsed with godotenv as azd's own .env is). The value goes through such a file, mode 0600 in a
 * private (0700) temporary folder, removed at once; azd keeps its file locking and remote state.
 * Older azd has no form without argv: `env set` takes KEY VALUE only, and `env set-secret` needs a Key Vault
 * and prompts. When azd rejects `--file` as an unknown flag, the secret is written into the chat app's
 * `.azure/<env>/.env` directly by src/env/store.ts, which writes azd's format byte for byte (what
 * `azd env set` would have left), while the other, non-secret keys keep going through `azd env set`.
 * Resolves to how it was set.
 */
export async function azdEnvSetSecret(project: AzdProject, key: string, value: string): Promise<'azd' | 'file'> {
  const dir = await mkdtemp(join(tmpdir(), 'aoai-lb-azd-'));
  try {
    const file = join(dir, 'secret.env');
    await writeFile(file, marshalDotenv({ [key]: value }), { mode: 0o600 });
    const result = await exec(project, ['env', 'set', '--environment', project.env, '--cwd', project.chatDir, '--file', file]);
    if (result.ok) return 'azd';
    if (!/unknown (flag|option):? --file/i.test(result.output)) throw failed(project, `env set --file (${key})`, result, value);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const store = new EnvStore(project.chatDir);
  if (!(await store.exists(project.env))) await store.create(project.env);
  await store.update(project.env, { [key]: value });
  return 'file';
}

/** `azd up` with its output streamed to ours (stdout to fd 2 when ours holds JSON); resolves to azd's exit code. */
export async function azdUp(project: AzdProject, stdoutFd: 1 | 2 = 1): Promise<number> {
  const { execa } = await import('execa');
  const result = await execa(project.azd, ['up', '--environment', project.env, '--cwd', project.chatDir], {
    cwd: project.chatDir,
    env: project.processEnv,
    extendEnv: false,
    reject: false,
    stdin: 'inherit',
    stdout: stdoutFd === 1 ? 'inherit' : stdoutFd,
    stderr: 'inherit',
  });
  return result.exitCode ?? 1;
}
