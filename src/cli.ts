import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { CommandSpec } from './commands/command.js';
import { commands } from './commands/index.js';
import { ExitCode, UserError } from './core/errors.js';
import { version } from './core/version.js';

const verboseFlag = '--verbose';
const verboseHelp = 'show the cause chain of errors';

export function buildProgram(): Command {
  const program = new Command('aoai-lb')
    .description('Load-balance Azure OpenAI across several resources with a quota-aware proxy in Azure Container Apps.')
    .version(version, '-v, --version')
    .option(verboseFlag, verboseHelp)
    // The program's own options only before the command: otherwise a value such as `--api-key -vQx9`
    // is read as -v and prints the version instead of running the command.
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride();
  for (const spec of commands) register(program, program, spec);
  return program;
}

function register(program: Command, parent: Command, spec: CommandSpec): void {
  // A group's options (env's --cwd) still count anywhere after it, as before.
  const command = parent.command(spec.name).description(spec.summary).option(verboseFlag, verboseHelp).enablePositionalOptions(false).exitOverride();
  spec.configure(command);
  for (const sub of spec.subcommands ?? []) register(program, command, sub);
  const run = spec.run;
  if (!run) return;
  command.action(async (...actionArgs: unknown[]) => {
    const self = actionArgs.at(-1) as Command;
    const positional = actionArgs.slice(0, -2);
    process.exitCode = await run(positional, { ...program.opts(), ...self.optsWithGlobals() });
  });
}

/** Runs the CLI; resolves to the exit code. All errors end here. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.ok);
  } catch (error) {
    return report(error, verboseAsked(program));
  }
}

/** --verbose, given before the command or after it (each command has its own). */
function verboseAsked(command: Command): boolean {
  return command.opts().verbose === true || command.commands.some(verboseAsked);
}

function report(error: unknown, verbose: boolean): number {
  const incomplete = incompleteInstall(error);
  if (incomplete) return report(incomplete, verbose);
  if (error instanceof CommanderError) {
    // commander has already printed its message (or help/version output).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof UserError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.suggestion) process.stderr.write(`  → ${error.suggestion}\n`);
    if (verbose) printCauses(error.cause);
    return error.exitCode;
  }
  process.stderr.write(`error: aoai-lb failed unexpectedly: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('  → please report this with the output of the same command run with --verbose\n');
  if (verbose && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  if (verbose) printCauses(error instanceof Error ? error.cause : undefined);
  return ExitCode.failure;
}

/** A module of aoai-lb itself or of a dependency is missing: the install is incomplete, not a bug. */
function incompleteInstall(error: unknown): UserError | undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const clone = existsSync(new URL('../src', import.meta.url));
  return new UserError('incomplete-install', `aoai-lb is not installed completely: ${(error as Error).message.split(' imported from ')[0]}.`, {
    suggestion: clone
      ? `run \`npm ci\` in ${root} (it installs the dependencies and builds aoai-lb)`
      : 'reinstall aoai-lb: npm install -g aoai-lb (or run it with npx aoai-lb)',
    cause: error,
  });
}

function printCauses(cause: unknown): void {
  for (let current = cause, depth = 1; current !== undefined && depth < 10; depth++) {
    process.stderr.write(`  caused by: ${current instanceof Error ? current.message : String(current)}\n`);
    current = current instanceof Error ? current.cause : undefined;
  }
}
