/** The built CLI as a child process, as a user runs it, with its output collected and waited on. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const cliPath = fileURLToPath(new URL('../../bin/aoai-lb.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Where the CLI is run from: the clone's bin/aoai-lb.js by default, or an installed copy's. */
export interface CliLocation {
  bin?: string;
  cwd?: string;
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}, where: CliLocation = {}): CliProcess {
  const child = spawn(process.execPath, [where.bin ?? cliPath, ...args], {
    cwd: where.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      waitFor(`output matching ${pattern} (stdout: ${out.slice(-500)} stderr: ${err.slice(-500)})`, () => (out + err).match(pattern) ?? undefined, timeoutMs),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
  };
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  where: CliLocation = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, env, where);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
