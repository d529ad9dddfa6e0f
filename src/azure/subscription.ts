/**
 * Which subscription a command works in, first answer wins (docs/azure.md): --subscription,
 * AZURE_SUBSCRIPTION_ID, the azd environment's stored value, azd's default, the Azure CLI's default,
 * then the subscriptions the signed-in identity can see (the only one, or a prompt).
 * The defaults are read from the CLIs' files: spawning `az account show` costs about a second.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { askLine } from '../core/ask.js';
import type { TokenCredential } from '@azure/identity';
import { ExitCode, UserError } from '../core/errors.js';
import { subscriptionsClient } from './clients.js';
import type { Cloud } from './cloud.js';

export interface SubscriptionChoice {
  id: string;
  name: string;
  tenantId?: string;
  isDefault?: boolean;
}

export type SubscriptionSource = 'flag' | 'environment variable' | 'azd environment' | 'azd default' | 'Azure CLI default' | 'prompt' | 'only subscription';

export interface ResolvedSubscription {
  id: string;
  name?: string;
  source: SubscriptionSource;
}

export interface SubscriptionInput {
  /** --subscription */
  flag?: string;
  /** AZURE_SUBSCRIPTION_ID stored in the azd environment (.azure/<env>/.env). */
  stored?: string;
  env: NodeJS.ProcessEnv;
  interactive: boolean;
  /** The subscriptions the signed-in identity can see; called only when nothing else chose one. */
  list: () => Promise<SubscriptionChoice[]>;
  /** Returns the chosen subscription's id; a numbered prompt on stderr when not given. */
  prompt?: (choices: SubscriptionChoice[]) => Promise<string>;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const listedInErrors = 10;

/**
 * An explicit subscription is not checked against the list here (that costs a round-trip); the first
 * call in it reports SubscriptionNotFound, which errors.ts explains.
 */
export async function resolveSubscription(input: SubscriptionInput): Promise<ResolvedSubscription> {
  const explicit: Array<[string | undefined, SubscriptionSource, string]> = [
    [input.flag, 'flag', '--subscription'],
    [input.env.AZURE_SUBSCRIPTION_ID, 'environment variable', 'the environment variable AZURE_SUBSCRIPTION_ID'],
    [input.stored, 'azd environment', "AZURE_SUBSCRIPTION_ID in the azd environment's .env"],
  ];
  for (const [value, source, where] of explicit) {
    const id = value?.trim();
    if (id) return { id: validated(id, where), source };
  }

  const azdConfig = join(input.env.AZD_CONFIG_DIR?.trim() || join(homedir(), '.azd'), 'config.json');
  const azdDefault = await azdDefaultSubscription(azdConfig);
  if (azdDefault) return { id: validated(azdDefault, `defaults.subscription in ${azdConfig}`), source: 'azd default' };

  const cliDefault = await azureCliDefaultSubscription(input.env);
  if (cliDefault) return { ...cliDefault, source: 'Azure CLI default' };

  const choices = await input.list();
  if (choices.length === 0) {
    throw new UserError('subscription-none', 'The signed-in identity can see no Azure subscription.', {
      suggestion: 'sign in to the tenant that holds your subscription (`az login --tenant <tenant-id>`), or ask for access to one',
    });
  }
  if (choices.length === 1) {
    const [only] = choices as [SubscriptionChoice];
    return { id: only.id, name: only.name, source: 'only subscription' };
  }
  if (!input.interactive) throw ambiguous(choices);
  const sorted = [...choices].sort((a, b) => a.name.localeCompare(b.name));
  const chosen = await (input.prompt ?? promptOnStderr)(sorted);
  const match = choices.find((choice) => choice.id.toLowerCase() === chosen.trim().toLowerCase());
  return { id: validated(chosen.trim(), 'the prompt'), ...(match ? { name: match.name } : {}), source: 'prompt' };
}

/** The subscriptions the credential can see, as resolveSubscription's `list` wants them (enabled ones only). */
export async function listSubscriptions(cloud: Cloud, credential: TokenCredential): Promise<SubscriptionChoice[]> {
  const client = await subscriptionsClient(cloud, credential);
  const found: SubscriptionChoice[] = [];
  for await (const subscription of client.subscriptions.list()) {
    if (!subscription.subscriptionId || (subscription.state && subscription.state !== 'Enabled')) continue;
    found.push({
      id: subscription.subscriptionId,
      name: subscription.displayName ?? subscription.subscriptionId,
      ...(subscription.tenantId ? { tenantId: subscription.tenantId } : {}),
    });
  }
  return found;
}

/** The tenant a subscription belongs to (GET /subscriptions/{id}). */
export async function subscriptionTenant(arm: { cloud: Cloud; credential: TokenCredential }, subscriptionId: string): Promise<string> {
  const client = await subscriptionsClient(arm.cloud, arm.credential);
  const subscription = await client.subscriptions.get(subscriptionId);
  if (!subscription.tenantId) throw new Error(`subscription ${subscriptionId} has no tenantId`);
  return subscription.tenantId;
}

function validated(id: string, where: string): string {
  if (guid.test(id)) return id;
  throw new UserError('subscription-invalid', `"${id}" from ${where} is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000).`, {
    suggestion: 'give the subscription id, not its name; `az account list --output table` lists yours',
    exitCode: ExitCode.usage,
  });
}

function ambiguous(choices: SubscriptionChoice[]): UserError {
  const shown = choices.slice(0, listedInErrors).map((choice) => `${choice.name} (${choice.id})`);
  const more = choices.length > listedInErrors ? `, and ${choices.length - listedInErrors} more` : '';
  return new UserError('subscription-ambiguous', `${choices.length} subscriptions are available and none was chosen: ${shown.join(', ')}${more}.`, {
    suggestion: 'pass --subscription <id>, or set AZURE_SUBSCRIPTION_ID',
    exitCode: ExitCode.usage,
  });
}

/** A file the user's tools own: missing or unreadable means "no default", never an error. */
async function readJson(file: string): Promise<unknown> {
  try {
    // The Azure CLI writes its files with a UTF-8 byte-order mark, which JSON.parse refuses.
    return JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

async function azdDefaultSubscription(file: string): Promise<string | undefined> {
  const config = (await readJson(file)) as { defaults?: { subscription?: unknown } } | undefined;
  const value = config?.defaults?.subscription;
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

async function azureCliDefaultSubscription(env: NodeJS.ProcessEnv): Promise<{ id: string; name?: string } | undefined> {
  const file = join(env.AZURE_CONFIG_DIR?.trim() || join(homedir(), '.azure'), 'azureProfile.json');
  const profile = (await readJson(file)) as { subscriptions?: unknown } | undefined;
  if (!Array.isArray(profile?.subscriptions)) return undefined;
  const entry = (profile.subscriptions as Array<{ id?: unknown; name?: unknown; isDefault?: unknown }>).find((s) => s?.isDefault === true);
  if (typeof entry?.id !== 'string' || !guid.test(entry.id)) return undefined;
  return { id: entry.id, ...(typeof entry.name === 'string' ? { name: entry.name } : {}) };
}

async function promptOnStderr(choices: SubscriptionChoice[]): Promise<string> {
  const lines = choices.map((choice, index) => `  ${index + 1}) ${choice.name} (${choice.id})${choice.isDefault ? ' [default]' : ''}`);
  process.stderr.write(`Several subscriptions are available:\n${lines.join('\n')}\n`);
  for (;;) {
    const answer = await askLine(`Subscription (1-${choices.length}): `);
    if (answer === undefined) throw ambiguous(choices);
    const byNumber = /^\d+$/.test(answer) ? choices[Number(answer) - 1] : undefined;
    const picked = byNumber ?? choices.find((choice) => choice.id.toLowerCase() === answer.toLowerCase());
    if (picked) return picked.id;
  }
}
