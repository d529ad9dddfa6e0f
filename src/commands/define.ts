/**
 * The one shape of every command: its flags, `run(options, ctx)` that calls ops/, and how its result
 * prints. What every command needs is the wrapper's: the output mode (from --json, decided once), the
 * progress reporter's lifecycle, the abort signal (Ctrl-C, SIGTERM, a closed stdout) and the exit code.
 */
import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import type { Reporter } from '../ui/progress.js';
import type { CommandSpec } from './command.js';

export type OutputMode = 'text' | 'json';

export interface CommandContext {
  /** Positional arguments, as commander parsed them. */
  readonly args: string[];
  readonly output: OutputMode;
  /** Text output on a terminal, and NO_COLOR not set. */
  readonly color: boolean;
  /** Aborted by Ctrl-C or SIGTERM (for commands that stop cleanly) and when stdout's reader goes away. */
  readonly signal: AbortSignal;
  readonly processEnv: NodeJS.ProcessEnv;
  /** Whether someone can read and answer a prompt (stdin and stderr are terminals). */
  readonly interactive: boolean;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** The progress reporter on stderr, made on first use and closed before the result is printed. */
  reporter(): Promise<Reporter>;
}

export interface CommandDefinition<Options extends object, Result> {
  name: string;
  summary: string;
  /** Declares arguments and options on the commander command. */
  options?(command: Command): void;
  /**
   * Whether Ctrl-C and SIGTERM abort `ctx.signal` (the command then stops cleanly; a second Ctrl-C exits
   * at once) rather than ending the process.
   */
  interruptible?: boolean | ((options: Options) => boolean);
  run(options: Options, ctx: CommandContext): Promise<Result>;
  /** How the result prints on stdout; without it, run() prints what it prints and returns the exit code. */
  print?: { text(result: Result, options: Options): string; json?(result: Result, options: Options): unknown };
  /** The exit code for a result; default 0 (or the result itself when it is a number). */
  exitCode?(result: Result): number;
}

/** Prompts are possible only when someone can read and answer them. */
export const canPrompt = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

export function defineCommand<Options extends object, Result>(definition: CommandDefinition<Options, Result>): CommandSpec {
  return {
    name: definition.name,
    summary: definition.summary,
    configure: (command) => definition.options?.(command),
    run: (args, rawOptions) => runDefined(definition, args.map(String), rawOptions as Options),
  };
}

/** A group of commands under one name (`aoai-lb env get-values`). */
export function defineGroup(group: { name: string; summary: string; options?(command: Command): void; subcommands: CommandSpec[] }): CommandSpec {
  return { name: group.name, summary: group.summary, configure: (command) => group.options?.(command), subcommands: group.subcommands };
}

async function runDefined<Options extends object, Result>(definition: CommandDefinition<Options, Result>, args: string[], options: Options): Promise<number> {
  const output: OutputMode = (options as { json?: boolean }).json === true ? 'json' : 'text';
  const stop = new AbortController();
  const interruptible = typeof definition.interruptible === 'function' ? definition.interruptible(options) : definition.interruptible === true;
  const onSignal = (): void => {
    // A second Ctrl-C while stopping: give up waiting for what is still open.
    if (stop.signal.aborted) process.exit(ExitCode.interrupted);
    stop.abort();
  };
  // `… | head`: the reader left (EPIPE); stop as if interrupted instead of crashing.
  const onStdoutError = (): void => stop.abort();
  if (interruptible) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  process.stdout.on('error', onStdoutError);
  let reporter: Promise<Reporter> | undefined;
  const closeReporter = async (): Promise<void> => {
    if (reporter) (await reporter).close();
  };
  const ctx: CommandContext = {
    args,
    output,
    color: output === 'text' && process.stdout.isTTY === true && !process.env.NO_COLOR,
    signal: stop.signal,
    processEnv: process.env,
    interactive: canPrompt(),
    stdout: process.stdout,
    stderr: process.stderr,
    reporter: () =>
      (reporter ??= import('../ui/progress.js').then(({ createReporter, reporterMode }) =>
        createReporter({ mode: reporterMode({ json: output === 'json' }) }),
      )),
  };
  try {
    const result = await definition.run(options, ctx);
    await closeReporter();
    const { print } = definition;
    if (print) {
      process.stdout.write(output === 'json' ? `${JSON.stringify(print.json ? print.json(result, options) : result, null, 2)}\n` : print.text(result, options));
    }
    if (definition.exitCode) return definition.exitCode(result);
    return typeof result === 'number' ? result : ExitCode.ok;
  } finally {
    await closeReporter();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onStdoutError);
  }
}
