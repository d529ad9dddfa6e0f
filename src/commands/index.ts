import type { CommandSpec } from './command.js';
import { devCommand } from './dev.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';

/** Every subcommand, in the order `aoai-lb --help` lists them. */
export const commands: CommandSpec[] = [devCommand, serveCommand, simulateCommand];
