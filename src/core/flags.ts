/** What every command's flag parsing shares: the one error for a bad flag (exit 2), numbers in a range, repeatable flags. */
import { ExitCode, UserError } from './errors.js';

/** A bad flag or argument: what was wrong, what to type instead; exit code 2. */
export function invalidFlag(message: string, suggestion: string, cause?: unknown): UserError {
  return new UserError('invalid-flag', message, { suggestion, exitCode: ExitCode.usage, ...(cause === undefined ? {} : { cause }) });
}

/** commander's accumulator for a repeatable option (`--backend a --backend b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export interface NumberRange {
  min: number;
  /** Left out: no upper bound. */
  max?: number;
  /** The minimum itself is refused ("above 0"). */
  above?: boolean;
  /** "seconds" → `is not a number of seconds from …`. */
  unit?: string;
  /** What to type instead, e.g. `for example --port 8080`. */
  suggestion: string;
}

function range(what: string, { min, max, above, unit }: NumberRange): string {
  const lower = above ? `above ${min}` : `from ${min}`;
  const upper = max === undefined ? '' : above ? ` and at most ${max}` : ` to ${max}`;
  return `${what}${unit ? ` of ${unit}` : ''} ${lower}${upper}`;
}

function inRange(value: number, { min, max, above }: NumberRange): boolean {
  return (above ? value > min : value >= min) && (max === undefined || value <= max);
}

/** `--port "x" is not a whole number from 0 to 65535.`: digits only, no sign, exponent or decimals. */
export function wholeNumber(flag: string, text: string, rule: NumberRange): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || !inRange(value, rule)) {
    throw invalidFlag(`${flag} "${text}" is not ${range('a whole number', rule)}.`, rule.suggestion);
  }
  return value;
}

/** `--interval "x" is not a number of seconds from 0.5 to 3600.`: digits with an optional fraction. */
export function decimalNumber(flag: string, text: string, rule: NumberRange): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value) || !inRange(value, rule)) {
    throw invalidFlag(`${flag} "${text}" is not ${range('a number', rule)}.`, rule.suggestion);
  }
  return value;
}
