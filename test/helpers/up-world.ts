/**
 * A world for running the built CLI's `up` as a user would: the Azure twin (ARM, data planes, running
 * apps behind their FQDN), fake `az`/`azd` logins on PATH, and a project folder for `.azure/`.
 * The CLI reaches the twin only through configuration a real user could set: the Resource Manager
 * endpoint, a trusted CA, and an HTTPS proxy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODELS, startTwin, type Twin, type TwinOptions } from '../twin/index.js';
import { fakeAzureCli, type FakeAzureCli, type FakeAzureCliOptions } from './fake-azure-cli.js';
import { ProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { runCli } from './cli-process.js';

export type CliResult = Awaited<ReturnType<typeof runCli>>;

/** The chat app's current models, offered where the twin offers the others. */
export const chatAppModels = [
  ...DEFAULT_MODELS,
  { format: 'OpenAI', name: 'gpt-5.4-mini', version: '2026-03-17', skus: ['Standard', 'GlobalStandard'], isDefaultVersion: true },
];

export interface UpWorld {
  twin: Twin;
  cli: FakeAzureCli;
  projectDir: string;
  env: Record<string, string>;
  up(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  close(): Promise<void>;
}

export async function startUpWorld(options: { twin?: TwinOptions; login?: FakeAzureCliOptions } = {}): Promise<UpWorld> {
  const twin = await startTwin({ runApps: true, models: chatAppModels, ...options.twin });
  const cli = fakeAzureCli({
    subscriptionId: twin.subscriptionId,
    azureCliSubscriptions: [{ id: twin.subscriptionId, name: 'Twin subscription', isDefault: true }],
    ...options.login,
  });
  const projectDir = mkdtempSync(join(tmpdir(), 'aoai-lb-up-'));
  const env: Record<string, string> = {
    ...cli.env,
    HOME: projectDir,
    AZURE_RESOURCE_MANAGER_ENDPOINT: twin.url,
    NODE_EXTRA_CA_CERTS: twin.caPath,
    HTTPS_PROXY: twin.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost',
  };
  return {
    twin,
    cli,
    projectDir,
    env,
    up: (args, extraEnv = {}) => runCli(['up', '--cwd', projectDir, ...args], { ...env, ...extraEnv }),
    async close() {
      await twin.close();
      cli.cleanup();
      rmSync(projectDir, { recursive: true, force: true });
    },
  };
}

/** The app's FQDN as a user's machine reaches it here: through the twin's proxy, trusting the twin's CA. */
export function twinProxy(world: UpWorld): ProxyAgent {
  return new ProxyAgent({ uri: world.twin.proxyUrl, requestTls: { ca: world.twin.ca } });
}

/** The `fetch` option of an `openai` client that sends through `dispatcher` (undici's fetch, not Node's own). */
export function fetchVia(dispatcher: Dispatcher): (url: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return (url, init) => undiciFetch(url as string, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
}
