/** Exit codes the CLI returns; stable, documented in README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/**
 * Every code a UserError carries, in one style (kebab-case); `invalid-flag` for any bad flag, exit code 2.
 * Azure Resource Manager's own codes (InsufficientQuota, …) travel beside them as `azureCode`.
 */
export const errorCodes = [
  'app-not-found',
  'app-unhealthy',
  'azd-failed',
  'azd-missing',
  'azure-error',
  'balancer-not-deployed',
  'build-failed',
  'capacity-incomplete',
  'chat-dir-not-azd-project',
  'chat-env-not-found',
  'chat-env-not-selected',
  'chat-generation-unknown',
  'client-key-missing',
  'cloud-endpoint-invalid',
  'cloud-unknown',
  'config-invalid',
  'credential-selection-invalid',
  'deployment-missing',
  'down-cancelled',
  'down-needs-confirmation',
  'env-exists',
  'env-file-invalid',
  'env-key-invalid',
  'env-model-invalid',
  'env-name-invalid',
  'env-not-deployed',
  'env-not-found',
  'env-not-selected',
  'group-location',
  'group-not-ours',
  'incomplete-install',
  'insufficient-quota',
  'invalid-argument',
  'invalid-balancer-config',
  'invalid-flag',
  'listen-failed',
  'log-stream-failed',
  'model-not-offered',
  'no-log-stream',
  'no-replicas',
  'not-logged-in',
  'port-in-use',
  'redis-not-installed',
  'redis-start-failed',
  'replica-not-found',
  'replica-start-failed',
  'subscription-ambiguous',
  'subscription-invalid',
  'subscription-none',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** A problem the user can fix: one line of what went wrong, one line of what to do. */
export class UserError extends Error {
  readonly code: ErrorCode;
  /** The Azure Resource Manager error code behind it, when Azure refused something. */
  readonly azureCode: string | undefined;
  readonly suggestion: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { suggestion?: string; cause?: unknown; exitCode?: number; azureCode?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.azureCode = options.azureCode;
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
