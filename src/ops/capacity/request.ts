/** What `aoai-lb capacity` is asked for: a capacity in thousands of TPM and which deployments. Pure. */
import { ExitCode, UserError } from '../../core/errors.js';

export type DeploymentRole = 'chat' | 'embedding';
export type DeploymentChoice = DeploymentRole | 'all';

export const deploymentChoices: readonly DeploymentChoice[] = ['chat', 'embedding', 'all'];

export interface CapacityRequest {
  /** Thousands of tokens per minute for each chosen deployment on each account. */
  capacity: number;
  which: DeploymentChoice;
  roles: DeploymentRole[];
}

/** The same range `up --capacity` accepts; a trailing K (`50K`) is allowed since that is how TPM is written. */
export function capacityRequest(text: string | undefined, which: string | undefined = 'all'): CapacityRequest {
  const match = /^\s*(\d+)\s*k?\s*$/i.exec(text ?? '');
  const capacity = match ? Number(match[1]) : Number.NaN;
  if (!match || capacity < 1 || capacity > 10_000) {
    throw new UserError('invalid-argument', `capacity "${text ?? ''}" is not a whole number of thousands of tokens per minute from 1 to 10000.`, {
      suggestion: 'give the capacity per deployment in K TPM, e.g. `aoai-lb capacity 50` for 50K TPM on each account',
      exitCode: ExitCode.usage,
    });
  }
  if (!deploymentChoices.includes(which as DeploymentChoice)) {
    throw new UserError('invalid-flag', `--deployment "${which}" is not chat, embedding or all.`, {
      suggestion: 'use --deployment chat, --deployment embedding or --deployment all (the default)',
      exitCode: ExitCode.usage,
    });
  }
  const choice = which as DeploymentChoice;
  return { capacity, which: choice, roles: choice === 'all' ? ['chat', 'embedding'] : [choice] };
}
