import { capacityCommand } from './capacity.js';
import type { CommandSpec } from './command.js';
import { devCommand } from './dev.js';
import { downCommand } from './down.js';
import { envCommand } from './env.js';
import { logsCommand } from './logs.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';
import { upCommand } from './up.js';
import { wireChatCommand } from './wire-chat.js';

/** Every subcommand, in the order `aoai-lb --help` lists them. */
export const commands: CommandSpec[] = [
  upCommand,
  wireChatCommand,
  logsCommand,
  capacityCommand,
  statusCommand,
  downCommand,
  envCommand,
  devCommand,
  serveCommand,
  simulateCommand,
];
