/**
 * Fake `az` and `azd` executables for a test's PATH, answering exactly what @azure/identity 4.13.1's
 * AzureCliCredential and AzureDeveloperCliCredential run and parse, plus the CLIs' config folders
 * (AZURE_CONFIG_DIR, AZD_CONFIG_DIR) with optional default subscriptions. POSIX shell only.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** 'logged-in' answers with a token; 'logged-out' fails as the real CLI does; 'missing' as a shell does without it. */
export type FakeLogin = 'logged-in' | 'logged-out' | 'missing';

export interface FakeAzureCliOptions {
  az?: FakeLogin;
  azd?: FakeLogin;
  /** The access token both CLIs print (default: a random `fake-token-…`). */
  token?: string;
  /** What az reports as the token's subscription and tenant. */
  subscriptionId?: string;
  tenantId?: string;
  /** Written to $AZURE_CONFIG_DIR/azureProfile.json (with the BOM the Azure CLI writes). */
  azureCliSubscriptions?: Array<{ id: string; name: string; isDefault?: boolean; tenantId?: string }>;
  /** Written to $AZD_CONFIG_DIR/config.json as defaults.subscription. */
  azdDefaultSubscription?: string;
  /** Token lifetime in seconds (default 3600). */
  lifetimeSeconds?: number;
}

export interface FakeAzureCli {
  binDir: string;
  /** PATH (fakes first), AZURE_CONFIG_DIR and AZD_CONFIG_DIR: merge into a child's or process.env. */
  env: Record<string, string>;
  token: string;
  /** Each CLI invocation so far, as `az account get-access-token …` lines. */
  calls(): string[];
  cleanup(): void;
}

export const FAKE_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const FAKE_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';

export function fakeAzureCli(options: FakeAzureCliOptions = {}): FakeAzureCli {
  const root = mkdtempSync(join(tmpdir(), 'aoai-lb-fake-az-'));
  const binDir = join(root, 'bin');
  const azureConfigDir = join(root, 'azure');
  const azdConfigDir = join(root, 'azd');
  for (const dir of [binDir, azureConfigDir, azdConfigDir]) mkdirSync(dir);
  const callLog = join(root, 'calls.log');
  writeFileSync(callLog, '');

  const token = options.token ?? `fake-token-${randomBytes(8).toString('hex')}`;
  const expires = new Date(Date.now() + (options.lifetimeSeconds ?? 3600) * 1000);
  const subscription = options.subscriptionId ?? FAKE_SUBSCRIPTION_ID;
  const tenant = options.tenantId ?? FAKE_TENANT_ID;

  // az prints expiresOn in local time without a zone, and (since 2.54) expires_on in epoch seconds.
  const azToken = JSON.stringify(
    {
      accessToken: token,
      expiresOn: localTimestamp(expires),
      expires_on: Math.floor(expires.getTime() / 1000),
      subscription,
      tenant,
      tokenType: 'Bearer',
    },
    null,
    2,
  );
  const azdToken = JSON.stringify({ token, expiresOn: expires.toISOString().replace(/\.\d{3}Z$/, 'Z') });

  writeScript(binDir, 'az', callLog, options.az ?? 'logged-in', {
    command: 'account get-access-token',
    success: azToken,
    loggedOut: "ERROR: Please run 'az login' to setup account.",
  });
  writeScript(binDir, 'azd', callLog, options.azd ?? 'logged-in', {
    command: 'auth token',
    success: azdToken,
    loggedOut: 'ERROR: fetching token: not logged in, run `azd auth login` to login',
  });

  if (options.azureCliSubscriptions) {
    const profile = {
      installationId: '5b5c5c5c-0000-4000-8000-000000000001',
      subscriptions: options.azureCliSubscriptions.map((s) => ({
        id: s.id,
        name: s.name,
        state: 'Enabled',
        user: { name: 'dev@example.com', type: 'user' },
        isDefault: s.isDefault ?? false,
        tenantId: s.tenantId ?? tenant,
        environmentName: 'AzureCloud',
        homeTenantId: s.tenantId ?? tenant,
        managedByTenants: [],
      })),
    };
    writeFileSync(join(azureConfigDir, 'azureProfile.json'), `\uFEFF${JSON.stringify(profile)}`);
  }
  if (options.azdDefaultSubscription !== undefined) {
    writeFileSync(join(azdConfigDir, 'config.json'), JSON.stringify({ defaults: { subscription: options.azdDefaultSubscription } }));
  }

  return {
    binDir,
    env: { PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`, AZURE_CONFIG_DIR: azureConfigDir, AZD_CONFIG_DIR: azdConfigDir },
    token,
    calls: () => readFileSync(callLog, 'utf8').split('\n').filter(Boolean),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

interface ScriptAnswers {
  /** The first words of the one command the fake answers. */
  command: string;
  success: string;
  loggedOut: string;
}

function writeScript(binDir: string, name: string, callLog: string, login: FakeLogin, answers: ScriptAnswers): void {
  const file = join(binDir, name);
  const [first, second] = answers.command.split(' ');
  const body =
    login === 'missing'
      ? // What /bin/sh prints for an unknown command; the credentials match "<name>:(.*)not found".
        `echo "sh: 1: ${name}: not found" >&2\nexit 127`
      : [
          `if [ "$1" != "${first}" ] || [ "$2" != "${second}" ]; then`,
          `  echo "ERROR: the fake ${name} answers only '${answers.command}'" >&2`,
          '  exit 2',
          'fi',
          login === 'logged-out' ? `echo ${shellQuote(answers.loggedOut)} >&2\nexit 1` : `cat <<'FAKE_CLI_EOF'\n${answers.success}\nFAKE_CLI_EOF`,
        ].join('\n');
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> ${shellQuote(callLog)}\n${body}\n`);
  chmodSync(file, 0o755);
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function localTimestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000`;
}
