/**
 * What `up` is asked for: its flags, else what the environment stored (so `env set OPENAI_CAPACITY 50`
 * then `up` works, and a re-run keeps the regions it chose), else the defaults.
 */
import { invalidFlag, wholeNumber } from '../../core/flags.js';
import type { ClientAuthMode, DeploymentSku, ModelChoice } from '../plan.js';

export interface UpFlags {
  env?: string;
  subscription?: string;
  location?: string;
  regions?: string;
  accounts?: string;
  capacity?: string;
  sku?: string;
  chatModel?: string;
  embeddingModel?: string;
  chatDeployment?: string;
  embeddingDeployment?: string;
  priorities?: string;
  image?: string;
  dryRun?: boolean;
  json?: boolean;
  showKey?: boolean;
  cwd?: string;
  clientAuth?: string;
  allowedClientIds?: string;
  /** --shared-state (true) / --no-shared-state (false); undefined: as stored. */
  sharedState?: boolean;
}

/** The environment keys `up` reads back and writes (env/keys.ts). */
export { settingKeys as keys } from '../../env/keys.js';
import { settingKeys as keys } from '../../env/keys.js';

/** What the current azure-search-openai-demo chat app deploys (reference-sample.md). */
export const defaultModels = {
  chat: { name: 'gpt-5.4-mini', version: '2026-03-17' },
  embedding: { name: 'text-embedding-3-large', version: '1' },
} as const;

export interface RequestedSettings {
  /** Explicit regions, or 'auto' to pick the regions with the most free quota. */
  regions: string[] | 'auto';
  accountCount: number;
  location: string | undefined;
  capacity: number;
  sku: DeploymentSku;
  chat: { deployment: string; model: ModelChoice };
  embedding: { deployment: string; model: ModelChoice };
  priorities: number[] | undefined;
  image: string | undefined;
  clientAuth: ClientAuthMode;
  allowedClientIds: string[];
  sharedState: boolean;
}

type Stored = Record<string, string | undefined>;

/**
 * Each flag's own syntax, checked before anything else (choosing the environment, signing in), so a
 * typo is the first thing reported. What depends on stored values is checked by requestedSettings.
 */
export function checkFlags(flags: UpFlags): void {
  const given = (value: string | undefined): value is string => value !== undefined;
  if (given(flags.accounts)) wholeNumber('--accounts', flags.accounts, accountsRange);
  if (given(flags.capacity)) wholeNumber('--capacity', flags.capacity, capacityRange);
  for (const value of given(flags.priorities) ? flags.priorities.split(',') : []) wholeNumber('--priorities', value.trim(), priorityRange);
  if (given(flags.chatModel)) model('--chat-model', flags.chatModel, defaultModels.chat);
  if (given(flags.embeddingModel)) model('--embedding-model', flags.embeddingModel, defaultModels.embedding);
  if (given(flags.regions) || given(flags.accounts)) requestedSettings({ regions: flags.regions, accounts: flags.accounts }, {}, {});
  if (given(flags.clientAuth) || given(flags.allowedClientIds)) clientAuth(flags.clientAuth ?? 'entra', flags.allowedClientIds);
}

export function requestedSettings(flags: UpFlags, stored: Stored, processEnv: Stored): RequestedSettings {
  const pick = (flag: string | undefined, key: string): string | undefined => nonEmpty(flag) ?? nonEmpty(stored[key]);
  const regionsText = pick(flags.regions, keys.regions);
  const accountCount = flags.accounts === undefined ? undefined : wholeNumber('--accounts', flags.accounts, accountsRange);
  let regions: string[] | 'auto' = 'auto';
  if (regionsText && regionsText.toLowerCase() !== 'auto') {
    regions = regionsText
      .split(',')
      .map((region) => region.trim().toLowerCase().replace(/\s+/g, ''))
      .filter(Boolean);
    if (regions.length === 0)
      throw usage('--regions is empty.', 'give regions as a comma-separated list, e.g. --regions eastus,swedencentral,westus3, or --regions auto');
    if (accountCount !== undefined && accountCount !== regions.length) {
      throw usage(`--accounts ${accountCount} does not match the ${regions.length} regions given.`, 'give one region per account, or leave out --accounts');
    }
    if (new Set(regions).size < regions.length) {
      throw usage(
        `--regions names a region twice (${regionsText}).`,
        'Standard quota is per subscription, region and model: accounts in one region share it, so give each account its own region',
      );
    }
  }
  const sku = pick(flags.sku, keys.sku) ?? 'Standard';
  if (sku !== 'Standard' && sku !== 'GlobalStandard')
    throw usage(`--sku "${sku}" is not Standard or GlobalStandard.`, 'use --sku Standard (regional quota) or --sku GlobalStandard');
  const capacityText = pick(flags.capacity, keys.capacity) ?? '30';
  const capacity = wholeNumber(flags.capacity !== undefined ? '--capacity' : keys.capacity, capacityText, capacityRange);
  const count = regions === 'auto' ? (accountCount ?? 3) : regions.length;
  const prioritiesText = pick(flags.priorities, keys.priorities);
  const priorities = prioritiesText?.split(',').map((value) => wholeNumber('--priorities', value.trim(), priorityRange));
  if (priorities && priorities.length !== count)
    throw usage(`--priorities has ${priorities.length} values for ${count} accounts.`, 'give one priority per account, e.g. --priorities 1,1,2');
  return {
    regions,
    accountCount: count,
    location: nonEmpty(flags.location) ?? nonEmpty(stored[keys.location]) ?? nonEmpty(processEnv.AZURE_LOCATION),
    capacity,
    sku,
    chat: {
      deployment: pick(flags.chatDeployment, keys.chatDeployment) ?? 'chat',
      model: model('--chat-model', pick(flags.chatModel, keys.chatModel), defaultModels.chat),
    },
    embedding: {
      deployment: pick(flags.embeddingDeployment, keys.embeddingDeployment) ?? 'embedding',
      model: model('--embedding-model', pick(flags.embeddingModel, keys.embeddingModel), defaultModels.embedding),
    },
    priorities,
    image: pick(flags.image, keys.image),
    ...storedClientAuth(flags, stored),
    sharedState: flags.sharedState ?? storedBoolean(keys.sharedState, stored[keys.sharedState]),
  };
}

/** The flags, else what is stored; `--client-auth keys` drops the stored allow-list with the mode. */
function storedClientAuth(flags: UpFlags, stored: Stored): { clientAuth: ClientAuthMode; allowedClientIds: string[] } {
  const mode = nonEmpty(flags.clientAuth) ?? nonEmpty(stored[keys.clientAuth]);
  const ids = nonEmpty(flags.allowedClientIds) ?? (mode?.toLowerCase() === 'keys' ? undefined : nonEmpty(stored[keys.allowedClientIds]));
  return clientAuth(mode, ids);
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function clientAuth(modeText: string | undefined, idsText: string | undefined): { clientAuth: ClientAuthMode; allowedClientIds: string[] } {
  const mode = (modeText ?? 'keys').toLowerCase();
  if (mode !== 'keys' && mode !== 'entra' && mode !== 'both') {
    throw usage(
      `--client-auth "${modeText}" is not keys, entra or both.`,
      'use --client-auth entra for keyless clients (Entra ID tokens), keys for the client key, both for either',
    );
  }
  const ids = (idsText ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !guid.test(id));
  if (bad !== undefined) {
    throw usage(
      `--allowed-client-ids has "${bad}", which is not an app or object id (a GUID).`,
      "give the chat app identity's client (app) id, e.g. from `az identity show --query clientId`, comma-separated for several",
    );
  }
  if (ids.length > 0 && mode === 'keys')
    throw usage('--allowed-client-ids applies to Entra ID tokens, and --client-auth is keys.', 'add --client-auth entra (or both)');
  return { clientAuth: mode, allowedClientIds: ids };
}

function storedBoolean(key: string, text: string | undefined): boolean {
  const value = nonEmpty(text)?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw usage(`${key} "${text}" is not true or false.`, `set it with \`aoai-lb env set ${key} true\` (or false), or pass --shared-state / --no-shared-state`);
}

function model(flag: string, text: string | undefined, fallback: ModelChoice): ModelChoice {
  if (!text) return { ...fallback };
  const [name, version, extra] = text.split(':');
  if (!name || !version || extra !== undefined)
    throw usage(`${flag} "${text}" is not name:version.`, `give the model and its version, e.g. ${flag} ${fallback.name}:${fallback.version}`);
  return { name, version };
}

const capacityRange = { min: 1, max: 10_000, suggestion: 'give thousands of tokens per minute per deployment, e.g. 30 for 30K TPM' };
const accountsRange = { min: 1, max: 10, suggestion: 'give a number from 1 to 10' };
const priorityRange = { min: 1, max: 1000, suggestion: 'give one whole number from 1 to 1000 per account, e.g. --priorities 1,1,2' };

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() ? value.trim() : undefined);
const usage = invalidFlag;
