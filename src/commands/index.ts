import type { CommandSpec } from './command.js';

/** Every subcommand, in the order `aoai-lb --help` lists them. */
export const commands: CommandSpec[] = [];
