/**
 * `aoai-lb status`: the deployment (resource group, accounts, deployments, URL, replicas) and the
 * balancer's live state, once or (--watch) every interval until Ctrl-C. The accounts and deployments
 * change rarely, so --watch reads them again only every minute; replicas and /status every tick.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { failedOn } from '../../azure/errors.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { decimalNumber } from '../../core/flags.js';
import type { StatusAccount, StatusSharedStore, StatusSnapshot } from './snapshot.js';
import { deployedApp } from '../deployed-app.js';
import { deployedSession, type SessionFlags, type SessionIo } from '../session.js';
import { balancerView, clientKeyOf, userToken, type BalancerCredential } from './balancer.js';
import { readAccounts, readReplicas, readSharedStore } from './inventory.js';

export interface StatusFlags extends SessionFlags {
  json?: boolean;
  watch?: boolean;
  interval?: string;
}

export interface StatusIo extends SessionIo {
  show(snapshot: StatusSnapshot): void;
  /** A read that failed during --watch (the next tick tries again). */
  warn(message: string): void;
  /** Aborted by Ctrl-C: --watch then stops. */
  signal: AbortSignal;
}

const inventoryRefreshMs = 60_000;

export function parseInterval(text: string | undefined): number {
  if (text === undefined) return 2000;
  return decimalNumber('--interval', text, { min: 0.5, max: 3600, unit: 'seconds', suggestion: 'for example --interval 5' }) * 1000;
}

/** Resolves to the exit code: 1 when (without --watch) the balancer did not answer, else 0. */
export async function runStatus(flags: StatusFlags, io: StatusIo): Promise<number> {
  const intervalMs = parseInterval(flags.interval);
  const session = await deployedSession(flags, io);
  const group = session.resourceGroup;
  const app = await deployedApp(session.arm, session, group);
  const url = session.values.CONTAINER_APP_URL || (app.fqdn ? `https://${app.fqdn}` : '');
  const arm = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    call().catch((error: unknown) => {
      throw failedOn(error, { resource: what, environment: session.name });
    });
  const keyless = session.values.BALANCER_CLIENT_AUTH === 'entra';
  const clientKey = keyless ? undefined : await arm(`reading the client key of ${app.name}`, () => clientKeyOf(session.arm, group, app.name));
  const credential: BalancerCredential | undefined = keyless ? { token: userToken(session.arm) } : clientKey ? { key: clientKey } : undefined;

  let accounts: StatusAccount[] = [];
  let sharedState: StatusSharedStore | undefined;
  let accountsReadAt = Number.NEGATIVE_INFINITY;
  const snapshot = async (): Promise<StatusSnapshot> => {
    if (Date.now() - accountsReadAt >= inventoryRefreshMs) {
      [accounts, sharedState] = await Promise.all([
        arm(`reading the OpenAI accounts in ${group}`, () => readAccounts(session.arm, group, session.values)),
        arm(`reading the shared-state store in ${group}`, () => readSharedStore(session.arm, group, session.values)),
      ]);
      accountsReadAt = Date.now();
    }
    const [replicas, balancer] = await Promise.all([
      arm(`listing the replicas of ${app.name}`, () => readReplicas(session.arm, group, app.name, app.latestRevisionName)),
      url ? balancerView(url, credential, accounts) : Promise.resolve({ reachable: false as const, error: 'the environment has no CONTAINER_APP_URL' }),
    ]);
    return {
      time: new Date().toISOString(),
      environment: session.name,
      subscriptionId: session.arm.subscriptionId,
      resourceGroup: group,
      url,
      app: { name: app.name, latestRevision: app.latestRevisionName ?? '', replicas },
      accounts,
      ...(sharedState ? { sharedState } : {}),
      balancer,
    };
  };

  if (!flags.watch) {
    const once = await snapshot();
    io.show(once);
    return once.balancer.reachable ? ExitCode.ok : ExitCode.failure;
  }
  while (!io.signal.aborted) {
    try {
      io.show(await snapshot());
    } catch (error) {
      // A failed ARM read ends a one-shot status; a watch shows the next good one.
      if (io.signal.aborted) break;
      if (!(error instanceof UserError)) throw error;
      io.warn(error.message);
    }
    await sleep(intervalMs, undefined, { signal: io.signal }).catch(() => undefined);
  }
  return ExitCode.ok;
}
