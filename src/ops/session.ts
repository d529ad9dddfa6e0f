/**
 * What every command that works on a deployed environment starts with: the environment (--env, else the
 * selected one), its stored values, a signed-in credential for the configured cloud, and the
 * subscription (--subscription, else the usual order, docs/azure.md).
 */
import type { ArmContext } from '../azure/clients.js';
import { cloudFromEnvironment } from '../azure/cloud.js';
import { azureCredential, signIn } from '../azure/credential.js';
import { listSubscriptions, resolveSubscription, type ResolvedSubscription } from '../azure/subscription.js';
import { askLine } from '../core/ask.js';
import { ExitCode, UserError } from '../core/errors.js';
import type { EnvValues } from '../env/dotenv.js';
import { EnvStore, missingEnvironment, validateEnvName } from '../env/store.js';

export interface SessionFlags {
  env?: string;
  subscription?: string;
  cwd?: string;
}

export interface SessionIo {
  processEnv: NodeJS.ProcessEnv;
  interactive: boolean;
}

export interface Environment {
  store: EnvStore;
  name: string;
  /** The stored values; empty for an environment that does not exist yet. */
  values: EnvValues;
  exists: boolean;
}

export interface Session extends Environment {
  arm: ArmContext;
  subscription: ResolvedSubscription;
}

/**
 * The environment named by --env or selected in .azure/config.json, else (when someone can answer) the
 * name typed at a prompt, as azd asks for one; it need not exist yet.
 */
export async function chooseEnvironment(flags: SessionFlags, firstRun: string, { prompt = false } = {}): Promise<Environment> {
  const store = new EnvStore(flags.cwd ?? process.cwd());
  const name = flags.env ?? (await store.defaultEnvironment()) ?? (prompt ? await askLine('Enter a name for the new environment (e.g. dev): ') : undefined);
  if (!name) {
    throw new UserError('env-not-selected', 'no environment selected, and --env was not given.', { suggestion: firstRun, exitCode: ExitCode.usage });
  }
  validateEnvName(name);
  const values = await store.read(name);
  return { store, name, values: values ?? {}, exists: values !== undefined };
}

export async function signedIn(environment: Environment, flags: SessionFlags, io: SessionIo): Promise<Session> {
  const cloud = cloudFromEnvironment(io.processEnv);
  const credential = azureCredential(cloud, io.processEnv);
  await signIn(credential, cloud);
  const subscription = await resolveSubscription({
    flag: flags.subscription,
    stored: environment.values.AZURE_SUBSCRIPTION_ID,
    env: io.processEnv,
    interactive: io.interactive,
    list: () => listSubscriptions(cloud, credential),
  });
  return { ...environment, arm: { cloud, credential, subscriptionId: subscription.id }, subscription };
}

/**
 * For the day-2 commands: an environment `up` has deployed (it has AZURE_RESOURCE_GROUP), signed in to
 * its subscription.
 */
export async function deployedSession(flags: SessionFlags, io: SessionIo): Promise<Session & { resourceGroup: string }> {
  const environment = await chooseEnvironment(flags, 'pass --env <name>, or select one with `aoai-lb env select <name>`');
  if (!environment.exists) throw missingEnvironment(environment.name);
  const resourceGroup = environment.values.AZURE_RESOURCE_GROUP;
  if (!resourceGroup) {
    throw new UserError('env-not-deployed', `environment "${environment.name}" has not been deployed: it has no AZURE_RESOURCE_GROUP.`, {
      suggestion: `run \`aoai-lb up --env ${environment.name}\` first`,
    });
  }
  return { ...(await signedIn(environment, flags, io)), resourceGroup };
}
