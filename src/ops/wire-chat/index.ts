/**
 * `wire-chat`: point a chat app's azd environment (azure-search-openai-demo) at the balancer `up`
 * deployed: OPENAI_HOST=azure_custom, the URL in the shape its client generation needs, the client key and
 * the deployment and model names. Through `azd env set` when azd is on PATH, else by writing
 * `.azure/<env>/.env` as azd writes it. Nothing is created or changed before every check has passed.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { containerAppSecrets } from '../../azure/containerapps.js';
import { failedOn } from '../../azure/errors.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { EnvStore, missingEnvironment, validateEnvName } from '../../env/store.js';
import { chooseEnvironment, deployedSession, type SessionIo } from '../session.js';
import { clientKeySecret } from '../../core/balancer-environment.js';
import { settingKeys as keys } from '../../env/keys.js';
import { azdEnvNew, azdEnvSet, azdUp, findAzd, type AzdProject } from './azd.js';
import { detectGeneration, type ChatGeneration } from './generation.js';
import { balancerFromEnvironment, changesFrom, wantedValues, type Change } from './values.js';

export interface WireChatFlags {
  chatDir?: string;
  chatEnv?: string;
  create?: boolean;
  generation?: ChatGeneration;
  deploy?: boolean;
  env?: string;
  cwd?: string;
}

export interface WireChatResult {
  balancerEnvironment: string;
  chatDir: string;
  chatEnvironment: string;
  created: boolean;
  generation: ChatGeneration;
  /** `--generation`, or the file the generation was read from. */
  generationFrom: string;
  via: 'azd' | 'file';
  envFile: string;
  changes: Change[];
  unchanged: string[];
  /** Set when the balancer takes Entra ID tokens only: no key was given to the chat app. */
  keyless?: { allowedClientIds: string[] };
  /** Set when azd is on PATH; `deployChatApp` needs it. */
  azd?: AzdProject;
}

export async function runWireChat(flags: WireChatFlags, io: SessionIo): Promise<WireChatResult> {
  const chatDir = resolve(flags.chatDir ?? process.cwd());
  await requireAzdProject(chatDir);

  const balancerEnv = await chooseEnvironment(
    flags,
    'pass --env <name> (the aoai-lb environment `up` deployed), or select one with `aoai-lb env select <name>`',
  );
  if (!balancerEnv.exists) throw missingEnvironment(balancerEnv.name);
  if (!balancerEnv.values.CONTAINER_APP_URL || !balancerEnv.values.CONTAINER_APP_NAME) {
    throw new UserError('balancer-not-deployed', `environment "${balancerEnv.name}" has no CONTAINER_APP_URL: \`aoai-lb up\` has not completed for it.`, {
      suggestion: `run \`aoai-lb up --env ${balancerEnv.name}\` first, then wire-chat again`,
    });
  }

  const chatStore = new EnvStore(chatDir);
  const chatEnv = await chooseChatEnvironment(chatStore, flags);
  const exists = await chatStore.exists(chatEnv);
  if (!exists && !flags.create) throw missingChatEnvironment(chatStore, chatEnv, chatDir);

  const generation = flags.generation ? { generation: flags.generation, file: undefined } : await detectGeneration(chatDir);
  if (!generation) {
    throw new UserError(
      'chat-generation-unknown',
      `cannot tell which OpenAI client ${chatDir} uses: no app/backend/**/*.py constructs AsyncAzureOpenAI or builds an /openai/v1 base URL.`,
      {
        suggestion: 'pass --generation 2024 (AZURE_OPENAI_CUSTOM_URL used as azure_endpoint) or --generation 2025 (used verbatim as base_url)',
        exitCode: ExitCode.usage,
      },
    );
  }

  const azdPath = await findAzd(io.processEnv);
  if (flags.deploy && !azdPath) {
    throw new UserError('azd-missing', '--deploy runs `azd up`, and azd is not on PATH.', {
      suggestion: 'install the Azure Developer CLI (https://aka.ms/azd-install), or leave out --deploy and run `azd up` yourself',
      exitCode: ExitCode.usage,
    });
  }

  const keyless = balancerEnv.values[keys.clientAuth] === 'entra';
  const clientKey = keyless ? undefined : await readClientKey(flags, io, balancerEnv.values.CONTAINER_APP_NAME);
  const balancer = balancerFromEnvironment(balancerEnv.values, clientKey, balancerEnv.name);
  const azd = azdPath ? { azd: azdPath, chatDir, env: chatEnv, processEnv: io.processEnv } : undefined;

  if (!exists) {
    if (azd) await azdEnvNew(azd);
    else {
      await chatStore.create(chatEnv);
      await chatStore.setDefaultEnvironment(chatEnv);
    }
  }
  const current = (await chatStore.read(chatEnv)) ?? {};
  const { changes, unchanged } = changesFrom(current, wantedValues(balancer, generation.generation, current));
  if (azd) {
    for (const change of changes) await azdEnvSet(azd, change.key, change.new);
  } else if (changes.length > 0) {
    await chatStore.update(chatEnv, Object.fromEntries(changes.map((change) => [change.key, change.new])));
  }

  return {
    balancerEnvironment: balancerEnv.name,
    chatDir,
    chatEnvironment: chatEnv,
    created: !exists,
    generation: generation.generation,
    generationFrom: generation.file ?? '--generation',
    via: azd ? 'azd' : 'file',
    envFile: chatStore.envFile(chatEnv),
    changes,
    unchanged,
    ...(keyless ? { keyless: { allowedClientIds: (balancerEnv.values[keys.allowedClientIds] ?? '').split(',').filter(Boolean) } } : {}),
    ...(azd ? { azd } : {}),
  };
}

/** `azd up` in the chat app, its output streamed; resolves to azd's exit code. */
export async function deployChatApp(result: WireChatResult, stdoutFd: 1 | 2): Promise<number> {
  if (!result.azd) throw new UserError('azd-missing', '--deploy runs `azd up`, and azd is not on PATH.', { exitCode: ExitCode.usage });
  return azdUp(result.azd, stdoutFd);
}

async function requireAzdProject(chatDir: string): Promise<void> {
  for (const name of ['azure.yaml', 'azure.yml']) {
    try {
      await access(join(chatDir, name));
      return;
    } catch {
      // try the next name
    }
  }
  throw new UserError('chat-dir-not-azd-project', `${chatDir} is not an azd project: it has no azure.yaml.`, {
    suggestion: 'pass --chat-dir <folder of the chat app> (e.g. your clone of azure-search-openai-demo), or run wire-chat from there',
    exitCode: ExitCode.usage,
  });
}

async function chooseChatEnvironment(store: EnvStore, flags: WireChatFlags): Promise<string> {
  const name = flags.chatEnv ?? (await store.defaultEnvironment());
  if (name === undefined) {
    const existing = await store.list();
    throw new UserError('chat-env-not-selected', `the chat app in ${store.projectDir} has no selected azd environment, and --chat-env was not given.`, {
      suggestion: existing.length > 0 ? `pass --chat-env <name> (existing: ${existing.join(', ')})` : 'pass --chat-env <name> --create to create one',
      exitCode: ExitCode.usage,
    });
  }
  validateEnvName(name);
  return name;
}

function missingChatEnvironment(store: EnvStore, name: string, chatDir: string): UserError {
  return new UserError('chat-env-not-found', `the chat app in ${chatDir} has no azd environment "${name}" (${store.envFile(name)}).`, {
    suggestion: `add --create to create it (as \`azd env new ${name}\` does), or name an existing one with --chat-env`,
  });
}

async function readClientKey(flags: WireChatFlags, io: SessionIo, appName: string): Promise<string> {
  const session = await deployedSession(flags, io);
  let secrets: Map<string, string>;
  try {
    secrets = await containerAppSecrets(session.arm, session.resourceGroup, appName);
  } catch (error) {
    throw failedOn(error, { resource: `reading the secrets of container app ${appName} in ${session.resourceGroup}`, environment: session.name });
  }
  const key = secrets.get(clientKeySecret)?.split(',')[0]?.trim();
  if (!key) {
    throw new UserError('client-key-missing', `container app ${appName} has no "${clientKeySecret}" secret, so there is no client key to give the chat app.`, {
      suggestion: `run \`aoai-lb up --env ${session.name}\` again: it sets the secret`,
    });
  }
  return key;
}
