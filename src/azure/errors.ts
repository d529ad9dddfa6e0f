/**
 * ARM errors a user meets, each turned into one line of what went wrong and one line of what to do.
 * The suggestions are data (one entry per ARM error code), as azd keeps them; `explain` picks the entry
 * and keeps the original error as the cause.
 */
import { UserError } from '../core/errors.js';

export interface ErrorContext {
  /** The resource or step the failing call was about, e.g. "OpenAI account openai2-abc (swedencentral)". */
  resource?: string;
  environment?: string;
}

interface Suggestion {
  message: (detail: string, context: ErrorContext) => string;
  fix: (context: ErrorContext) => string;
}

const envFlag = (context: ErrorContext): string => (context.environment ? ` --env ${context.environment}` : '');

export const suggestions: Record<string, Suggestion> = {
  InsufficientQuota: {
    message: (detail, context) => `not enough Azure OpenAI quota for ${context.resource ?? 'a deployment'}: ${detail}`,
    fix: (context) =>
      `lower the capacity (aoai-lb env set OPENAI_CAPACITY 20${envFlag(context)}), pick regions with free quota (--regions auto), or request more at https://aka.ms/oai/quotaincrease`,
  },
  CustomDomainInUse: {
    message: (detail) => `an Azure OpenAI account name is taken, possibly by a soft-deleted account: ${detail}`,
    fix: (context) =>
      `if this environment's own account was deleted, purge it with \`aoai-lb down --purge${envFlag(context)}\`; if another resource holds the name, use another environment name (the names derive from it)`,
  },
  FlagMustBeSetForRestore: {
    message: (detail) => `a soft-deleted Azure OpenAI account still holds this name: ${detail}`,
    fix: (context) => `purge it with \`aoai-lb down --purge${envFlag(context)}\`, or use another environment name`,
  },
  TasksOperationsNotAllowed: {
    message: () => 'this subscription cannot run ACR Tasks remote builds (free-trial subscriptions cannot)',
    fix: () => 'build the image elsewhere and deploy it with `aoai-lb up --image <registry>/<repository>:<tag>`',
  },
  InvalidResourceProperties: {
    message: (detail, context) => `${context.resource ?? 'a deployment'} asks for a model or SKU the region does not offer: ${detail}`,
    fix: () => 'choose other regions (--regions auto picks regions that offer the model), another model version, or --sku GlobalStandard',
  },
  LocationNotAvailableForResourceType: {
    message: (detail, context) => `${context.resource ?? 'a resource'} cannot be created in that region: ${detail}`,
    fix: (context) =>
      context.resource?.startsWith('Azure Managed Redis')
        ? "the shared-state store goes in the balancer's region: choose another with --location (or run without --shared-state)"
        : 'choose other regions with --regions, or --regions auto',
  },
  AuthorizationFailed: {
    message: (detail) => `your account is not allowed to do this in the subscription: ${detail}`,
    fix: () => 'ask for the Contributor and User Access Administrator roles on the subscription, or pick another with --subscription',
  },
  SubscriptionNotFound: {
    message: (detail) => `the subscription was not found: ${detail}`,
    fix: () => 'check --subscription / AZURE_SUBSCRIPTION_ID, and that you are logged in to its tenant (az login --tenant <tenant>)',
  },
};

/** core-lro 2.7 rejects a Failed operation with a plain Error whose message carries the code. */
const failedOperation = /^The long-running operation has failed\.\s*([A-Za-z][\w.]*)\.\s*(.*)$/s;

/** The ARM error code and message of an error from an SDK call, if it has one. */
export function armErrorOf(error: unknown): { code: string; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.length > 0 && !/^(ECONN|ENOTFOUND|ETIMEDOUT|UND_)/.test(code)) {
    return { code, message: error.message };
  }
  const failed = failedOperation.exec(error.message);
  return failed ? { code: failed[1]!, message: failed[2]!.trim() } : undefined;
}

/** A UserError for errors with a known fix; undefined for the rest (the caller reports them as they are). */
export function explain(error: unknown, context: ErrorContext = {}): UserError | undefined {
  const arm = armErrorOf(error);
  if (!arm) return undefined;
  const suggestion = suggestions[arm.code];
  if (!suggestion) return undefined;
  return new UserError('azure-error', suggestion.message(arm.message, context), { suggestion: suggestion.fix(context), cause: error, azureCode: arm.code });
}

/** True for an SDK error answering 404 (the resource does not exist). */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: unknown } | undefined)?.statusCode === 404;
}

/**
 * Any error of an ARM call made for `resource`, as a UserError that names the resource: the known codes
 * with their fix, the rest with ARM's own code and message.
 */
export function failedOn(error: unknown, context: ErrorContext & { resource: string }): UserError {
  if (error instanceof UserError) return error;
  const explained = explain(error, context);
  if (explained) return explained;
  const arm = armErrorOf(error);
  const detail = arm ? `${arm.code}: ${arm.message}` : error instanceof Error ? error.message : String(error);
  return new UserError('azure-error', `${context.resource} failed: ${detail}`, {
    ...(arm ? { azureCode: arm.code } : {}),
    suggestion: 'run the same command again: it resumes where it stopped (add --verbose for the cause chain)',
    cause: error,
  });
}

/** The result of a read, or undefined when ARM answers 404 (the resource, or its group, does not exist). */
export async function ifExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
