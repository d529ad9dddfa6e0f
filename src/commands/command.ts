import type { Command } from 'commander';

/** A subcommand as data: its flags are declared on the commander Command, and run() does the work. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Adds arguments and options to the commander command. */
  configure(command: Command): void;
  /** Resolves to the process exit code. Throws UserError for problems the user can fix. */
  run?(args: unknown[], options: Record<string, unknown>): Promise<number>;
  /** Commands under this one (`aoai-lb env get-values`); a command has run() or subcommands. */
  subcommands?: CommandSpec[];
}
