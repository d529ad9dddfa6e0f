/** Exit codes the CLI returns; stable, documented in README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** A problem the user can fix: one line of what went wrong, one line of what to do. */
export class UserError extends Error {
  readonly code: string;
  readonly suggestion: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { suggestion?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** A bug in aoai-lb: the message asks for a report and keeps the cause. */
export class InternalError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'InternalError';
  }
}
