/** Running the Azure Developer CLI for wire-chat: `azd env new`, `azd env set`, `azd up`. */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { UserError } from '../core/errors.js';

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

async function run(project: AzdProject, args: string[], what: string): Promise<void> {
  const { execa } = await import('execa');
  const result = await execa(project.azd, args, { cwd: project.chatDir, env: project.processEnv, extendEnv: false, reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0 || result.failed) {
    // Not the command line: it may carry the client key.
    const detail = (result.stderr || result.stdout || result.shortMessage || '').toString().trim().split('\n').slice(-3).join(' ');
    throw new UserError('azd-failed', `\`azd ${what}\` failed in ${project.chatDir}${detail ? `: ${detail}` : ''}.`, {
      suggestion: 'run `azd version` to check azd works there, or remove azd from PATH to let aoai-lb write .azure/<env>/.env itself',
    });
  }
}

/** `azd env new <name> --no-prompt`: creates the environment and makes it the default, as azd does. */
export async function azdEnvNew(project: AzdProject): Promise<void> {
  await run(project, ['env', 'new', project.env, '--no-prompt', '--cwd', project.chatDir], `env new ${project.env}`);
}

/** One `azd env set` per key; `--` first, so a value starting with "-" is not read as a flag. */
export async function azdEnvSet(project: AzdProject, key: string, value: string): Promise<void> {
  await run(project, ['env', 'set', '--environment', project.env, '--cwd', project.chatDir, '--', key, value], `env set ${key}`);
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
