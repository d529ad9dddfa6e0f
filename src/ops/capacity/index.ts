/**
 * `aoai-lb capacity <K-TPM>`: change the capacity of the deployments in place on every account of the
 * environment. Plan (read every deployment, decide what changes), check quota per region (nothing is
 * changed when a region is short), apply, then record OPENAI_CAPACITY so a following `up` changes nothing.
 */
import { failedOn } from '../../azure/errors.js';
import type { Reporter } from '../../ui/progress.js';
import { applyCapacity, needsChange, type DeploymentChange } from './apply.js';
import { checkQuota } from './quota.js';
import { capacityRequest, type DeploymentChoice } from './request.js';
import { readDeployments, type AccountDeployments, type DeployedModel } from './targets.js';
import { deployedSession, type SessionIo } from '../session.js';
import { settingKeys as keys } from '../../env/keys.js';

export interface CapacityFlags {
  env?: string;
  subscription?: string;
  cwd?: string;
  deployment?: string;
  json?: boolean;
}

export interface CapacityIo extends SessionIo {
  reporter: Reporter;
}

export interface CapacityResult {
  environment: string;
  resourceGroup: string;
  /** Thousands of TPM per chosen deployment on each account. */
  capacity: number;
  deployment: DeploymentChoice;
  changed: boolean;
  /** OPENAI_CAPACITY was written: every deployment of the environment is now at `capacity`. */
  saved: boolean;
  /** OPENAI_CAPACITY as the environment holds it after the run. */
  storedCapacity: string | undefined;
  accounts: Array<{ name: string; region: string; deployments: Array<{ name: string; role: string; from: number; to: number; outcome: string }> }>;
  /** Per deployment name: its capacity on each account and the sum, in thousands of TPM. */
  aggregate: Array<{ deployment: string; perAccount: number[]; totalK: number }>;
}

export async function runCapacity(capacityText: string | undefined, flags: CapacityFlags, io: CapacityIo): Promise<CapacityResult> {
  const request = capacityRequest(capacityText, flags.deployment);
  const session = await deployedSession(flags, io);
  const { arm, resourceGroup, name: environment } = session;
  const commandFor = (capacity: number): string =>
    `aoai-lb capacity ${capacity}${request.which === 'all' ? '' : ` --deployment ${request.which}`} --env ${environment}`;
  const chosen = (d: DeployedModel): boolean => request.roles.includes(d.role);

  const accounts = await withArmErrors(() => readDeployments(arm, resourceGroup, environment, session.values), 'reading the deployments');
  await withArmErrors(() => checkQuota(arm, accounts, (d) => chosen(d) && needsChange(d, request.capacity), request.capacity, commandFor), 'checking quota');
  const changes = await applyCapacity(accounts, {
    arm,
    group: resourceGroup,
    environment,
    capacity: request.capacity,
    chosen,
    reporter: io.reporter,
    rerun: commandFor(request.capacity),
  });

  const after = finalCapacities(accounts, changes);
  // OPENAI_CAPACITY is one number for every deployment (up applies it to all): it is written only when
  // every deployment is at the new capacity, so a following `up` changes nothing.
  const uniform = [...after.values()].every((capacity) => capacity === request.capacity);
  const stored = uniform
    ? (await session.store.update(environment, { [keys.capacity]: String(request.capacity) }))[keys.capacity]
    : session.values[keys.capacity];
  if (!uniform) {
    const others = [...after].filter(([, capacity]) => capacity !== request.capacity).map(([d, capacity]) => `${d.name} on ${d.account} (${capacity}K)`);
    io.reporter.warn(
      `OPENAI_CAPACITY stays ${stored ?? 'unset'}: it is one capacity for every deployment, and these differ from ${request.capacity}K: ${others.join(', ')}. ` +
        `A following \`aoai-lb up\` sets every deployment to OPENAI_CAPACITY; \`aoai-lb capacity ${request.capacity} --env ${environment}\` makes them all ${request.capacity}K and saves it.`,
    );
  }
  return {
    environment,
    resourceGroup,
    capacity: request.capacity,
    deployment: request.which,
    changed: changes.some((change) => change.outcome === 'updated'),
    saved: uniform,
    storedCapacity: stored,
    accounts: accounts.map((account) => ({
      name: account.account,
      region: account.region,
      deployments: account.deployments.map((d) => {
        const change = changes.find((c) => c.deployment === d);
        return { name: d.name, role: d.role, from: d.capacity, to: after.get(d)!, outcome: change?.outcome ?? 'not chosen' };
      }),
    })),
    aggregate: aggregate(accounts, after),
  };
}

function finalCapacities(accounts: AccountDeployments[], changes: DeploymentChange[]): Map<DeployedModel, number> {
  const after = new Map<DeployedModel, number>();
  for (const d of accounts.flatMap((account) => account.deployments)) {
    const change = changes.find((c) => c.deployment === d);
    after.set(d, change && (change.outcome === 'updated' || change.outcome === 'unchanged') ? change.to : d.capacity);
  }
  return after;
}

function aggregate(accounts: AccountDeployments[], after: Map<DeployedModel, number>): CapacityResult['aggregate'] {
  const names = [...new Set(accounts.flatMap((account) => account.deployments.map((d) => d.name)))];
  return names.map((name) => {
    const perAccount = accounts.map((account) => after.get(account.deployments.find((d) => d.name === name)!) ?? 0);
    return { deployment: name, perAccount, totalK: perAccount.reduce((sum, k) => sum + k, 0) };
  });
}

async function withArmErrors<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw failedOn(error, { resource: what });
  }
}
