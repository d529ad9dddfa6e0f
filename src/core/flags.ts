/** What every command's flag parsing shares: the one error for a bad flag (exit 2), and repeatable flags. */
import { ExitCode, UserError } from './errors.js';

/** A bad flag or argument: what was wrong, what to type instead; exit code 2. */
export function invalidFlag(message: string, suggestion: string, cause?: unknown): UserError {
  return new UserError('invalid-flag', message, { suggestion, exitCode: ExitCode.usage, ...(cause === undefined ? {} : { cause }) });
}

/** commander's accumulator for a repeatable option (`--backend a --backend b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
