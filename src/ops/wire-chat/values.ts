/**
 * What the chat app's azd environment must hold to call the balancer (pure: no I/O). The variable names are
 * the chat app's own (its infra/main.parameters.json and app/backend read them, reference-sample.md §5).
 */
import { UserError } from '../../core/errors.js';
import type { EnvValues } from '../../env/dotenv.js';
import type { ChatGeneration } from './generation.js';

/** Variables whose values are never printed. */
export const secretKeys = new Set(['AZURE_OPENAI_API_KEY_OVERRIDE']);

/** Dimensions each embedding model produces; ada-002 produces exactly these, the v3 models up to these. */
const embeddingDimensions: Record<string, { max: number; fixed: boolean }> = {
  'text-embedding-ada-002': { max: 1536, fixed: true },
  'text-embedding-3-small': { max: 1536, fixed: false },
  'text-embedding-3-large': { max: 3072, fixed: false },
};

export interface Balancer {
  url: string;
  /** Undefined for a keyless balancer (CLIENT_AUTH=entra): the chat app sends its own Entra ID token. */
  clientKey: string | undefined;
  chatDeployment: string;
  chatModel: { name: string; version: string };
  embeddingDeployment: string;
  embeddingModel: { name: string; version: string };
}

/** The balancer's side, from the aoai-lb environment `up` wrote (docs/up.md) and the app's client key. */
export function balancerFromEnvironment(values: EnvValues, clientKey: string | undefined, envName: string): Balancer {
  return {
    url: values.CONTAINER_APP_URL!.replace(/\/+$/, ''),
    clientKey,
    chatDeployment: values.AZURE_OPENAI_CHATGPT_DEPLOYMENT || 'chat',
    chatModel: parseModel(values.OPENAI_CHAT_MODEL, 'OPENAI_CHAT_MODEL', envName),
    embeddingDeployment: values.AZURE_OPENAI_EMB_DEPLOYMENT || 'embedding',
    embeddingModel: parseModel(values.OPENAI_EMBEDDING_MODEL, 'OPENAI_EMBEDDING_MODEL', envName),
  };
}

function parseModel(value: string | undefined, key: string, envName: string): { name: string; version: string } {
  const match = /^([^:\s]+):([^:\s]+)$/.exec(value ?? '');
  if (!match) {
    throw new UserError('env-model-invalid', `${key} in environment "${envName}" is ${value ? `"${value}"` : 'missing'}; expected name:version.`, {
      suggestion: `run \`aoai-lb up --env ${envName}\` again, which records the models it deployed`,
    });
  }
  return { name: match[1]!, version: match[2]! };
}

/** AZURE_OPENAI_CUSTOM_URL for a chat-app generation. */
export function customUrl(balancerUrl: string, generation: ChatGeneration): string {
  return generation === '2024' ? balancerUrl : `${balancerUrl}/openai/v1`;
}

/** Every variable wire-chat sets, given what the chat environment holds now. */
export function wantedValues(balancer: Balancer, generation: ChatGeneration, current: EnvValues): Record<string, string> {
  // Keyless: an empty override makes the chat app (either generation) use its token provider instead.
  const key = balancer.clientKey ?? (current.AZURE_OPENAI_API_KEY_OVERRIDE ? '' : undefined);
  const wanted: Record<string, string> = {
    OPENAI_HOST: 'azure_custom',
    AZURE_OPENAI_CUSTOM_URL: customUrl(balancer.url, generation),
    ...(key === undefined ? {} : { AZURE_OPENAI_API_KEY_OVERRIDE: key }),
    AZURE_OPENAI_CHATGPT_DEPLOYMENT: balancer.chatDeployment,
    AZURE_OPENAI_CHATGPT_MODEL: balancer.chatModel.name,
    AZURE_OPENAI_CHATGPT_DEPLOYMENT_VERSION: balancer.chatModel.version,
    AZURE_OPENAI_EMB_DEPLOYMENT: balancer.embeddingDeployment,
    AZURE_OPENAI_EMB_MODEL_NAME: balancer.embeddingModel.name,
    AZURE_OPENAI_EMB_DEPLOYMENT_VERSION: balancer.embeddingModel.version,
  };
  const dimensions = wantedDimensions(balancer.embeddingModel.name, current.AZURE_OPENAI_EMB_DIMENSIONS);
  if (dimensions !== undefined) wanted.AZURE_OPENAI_EMB_DIMENSIONS = dimensions;
  return wanted;
}

/**
 * A dimension count the model can produce is kept (the search index was built with it); one it cannot, or
 * none (the chat app's default differs by generation: 1536, then 3072), becomes the model's own. Unknown
 * models are left alone.
 */
function wantedDimensions(model: string, current: string | undefined): string | undefined {
  const known = embeddingDimensions[model];
  if (!known) return undefined;
  const value = Number(current);
  const fits = current !== undefined && /^\d+$/.test(current) && value > 0 && (known.fixed ? value === known.max : value <= known.max);
  return fits ? current : String(known.max);
}

export interface Change {
  key: string;
  old: string | undefined;
  new: string;
  /** Never printed as it is (the client key). */
  secret: boolean;
}

export function changesFrom(current: EnvValues, wanted: Record<string, string>): { changes: Change[]; unchanged: string[] } {
  const changes: Change[] = [];
  const unchanged: string[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    if (current[key] === value) unchanged.push(key);
    else changes.push({ key, old: current[key], new: value, secret: secretKeys.has(key) });
  }
  return { changes, unchanged };
}
