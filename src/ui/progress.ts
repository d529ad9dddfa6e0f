/**
 * Progress of long multi-step commands (`up`) whose independent steps run concurrently. The mode is
 * chosen once by the command; ops/ only calls step()/info()/warn(). Progress always goes to the stream
 * (stderr by default): stdout is left for the command's result.
 */
import { createPlainSink } from './progress-plain.js';
import { trackSteps, type Clock } from './progress-steps.js';
import { createTtySink } from './progress-tty.js';

import type { Reporter } from './reporter.js';

export type { Reporter, StepHandle } from './reporter.js';

export type ReporterMode = 'tty' | 'plain' | 'json';

export function createReporter(options: { mode: ReporterMode; stream?: NodeJS.WriteStream; now?: Clock }): Reporter {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  // json mode: the command prints its one JSON result to stdout; progress stays plain lines on stderr.
  const sink = options.mode === 'tty' ? createTtySink(stream, now) : createPlainSink(stream);
  return trackSteps(sink, now);
}

/**
 * tty (spinner, colours) only for an interactive terminal: not in CI, not with TERM=dumb, not with --json,
 * and not on a terminal without a width (a pty of size 0×0), where ora would clear lines without end.
 */
export function reporterMode(options: { json?: boolean; stream?: NodeJS.WriteStream; env?: NodeJS.ProcessEnv }): ReporterMode {
  if (options.json) return 'json';
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const interactive = stream.isTTY === true && (stream.columns ?? 0) > 0 && env.TERM !== 'dumb' && env.CI === undefined;
  return interactive ? 'tty' : 'plain';
}
