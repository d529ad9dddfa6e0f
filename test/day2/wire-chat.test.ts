// `aoai-lb wire-chat` as a user runs it (the built CLI, a child process) after one real `up` against the
// Azure twin: both chat-app generations (fixtures of azure-search-openai-demo), with azd on PATH (a fake
// azd that records its argv) and without (the .env compared byte for byte with azd's format), secrets
// masked, and the refusals.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli-process.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** PATH entries that hold no azd, so "azd is not installed" holds on any machine. */
const systemPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => dir && !existsSync(join(dir, 'azd')))
  .join(delimiter);

/** The chat app's .env as azd wrote it before wire-chat: sorted, quoted, escaped ($ " !), "01" kept quoted. */
const seededEnv = [
  'AZURE_ENV_NAME="dev"',
  'AZURE_LOCATION="eastus"',
  'AZURE_OPENAI_CHATGPT_DEPLOYMENT="gpt-4.1-mini"',
  'AZURE_OPENAI_CHATGPT_MODEL="gpt-4.1-mini"',
  'AZURE_OPENAI_EMB_DIMENSIONS=3072',
  'AZURE_SEARCH_INDEX="gptkbindex"',
  'AZURE_SERVER_APP_SECRET="p\\$ss\\"w0rd\\!"',
  'AZURE_SUBSCRIPTION_ID="11111111-2222-3333-4444-555555555555"',
  'DEPLOYMENT_ZIP="01"',
  'OPENAI_HOST="azure"',
  'USE_VECTORS="true"',
  '',
].join('\n');

describe('aoai-lb wire-chat', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let root: string;
  let url: string;
  let clientKey: string;
  let noAzdPath: string;
  let fakeAzdPath: string;
  let azdLog: string;

  const chatApp = (fixture: 'chat-app-2024' | 'chat-app-2025', seed?: string): string => {
    const dir = mkdtempSync(join(root, `${fixture}-`));
    cpSync(join(fixtures, fixture), dir, { recursive: true });
    if (seed !== undefined) {
      mkdirSync(join(dir, '.azure', 'dev'), { recursive: true });
      writeFileSync(join(dir, '.azure', 'config.json'), '{"version":1,"defaultEnvironment":"dev"}');
      writeFileSync(join(dir, '.azure', 'dev', '.env'), seed);
    }
    return dir;
  };
  const wire = (args: string[], path = noAzdPath) => runCli(['wire-chat', '--cwd', world.projectDir, '-e', 'demo', ...args], { ...world.env, PATH: path });
  const azdCalls = (): string[][] =>
    existsSync(azdLog)
      ? readFileSync(azdLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split('\0').slice(0, -1))
      : [];
  const masked = () => `${clientKey.slice(0, 4)}…(${clientKey.length} chars)`;
  const assertNoSecret = (run: { stdout: string; stderr: string }) => {
    assert.ok(!run.stdout.includes(clientKey) && !run.stderr.includes(clientKey), 'the client key is never printed');
  };

  before(async () => {
    world = await startUpWorld();
    root = mkdtempSync(join(tmpdir(), 'aoai-lb-wire-chat-'));
    const azOnly = join(root, 'az-only');
    mkdirSync(azOnly);
    symlinkSync(join(world.cli.binDir, 'az'), join(azOnly, 'az'));
    noAzdPath = `${azOnly}${delimiter}${systemPath}`;
    const fakeAzd = join(root, 'fake-azd');
    mkdirSync(fakeAzd);
    azdLog = join(root, 'azd-calls.log');
    // A POSIX shell script (a node one costs a second a call on a loaded machine): one line per call, its
    // arguments separated by NUL.
    writeFileSync(
      join(fakeAzd, 'azd'),
      [
        '#!/bin/sh',
        `for arg in "$@"; do printf '%s\\0' "$arg"; done >> '${azdLog}'`,
        `printf '\\n' >> '${azdLog}'`,
        'if [ "$1" = up ]; then echo "fake azd: Provisioning Azure resources (azd provision)"; echo "fake azd: SUCCESS"; fi',
        '',
      ].join('\n'),
    );
    chmodSync(join(fakeAzd, 'azd'), 0o755);
    fakeAzdPath = `${fakeAzd}${delimiter}${noAzdPath}`;

    const up = await world.up(['--env', 'demo', '--regions', 'eastus,swedencentral,westus3', '--location', 'eastus2', '--json', '--show-key']);
    assert.equal(up.code, 0, `stdout: ${up.stdout}\nstderr: ${up.stderr}`);
    ({ containerAppUrl: url, clientKey } = JSON.parse(up.stdout) as { containerAppUrl: string; clientKey: string });
  });
  after(async () => {
    await world?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('2025 chat app without azd: writes .azure/dev/.env byte for byte as azd would, untouched keys kept, the key masked', async () => {
    const dir = chatApp('chat-app-2025', seededEnv);
    const run = await wire(['--chat-dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    const expected = [
      'AZURE_ENV_NAME="dev"',
      'AZURE_LOCATION="eastus"',
      `AZURE_OPENAI_API_KEY_OVERRIDE="${clientKey}"`,
      'AZURE_OPENAI_CHATGPT_DEPLOYMENT="chat"',
      'AZURE_OPENAI_CHATGPT_DEPLOYMENT_VERSION="2026-03-17"',
      'AZURE_OPENAI_CHATGPT_MODEL="gpt-5.4-mini"',
      `AZURE_OPENAI_CUSTOM_URL="${url}/openai/v1"`,
      'AZURE_OPENAI_EMB_DEPLOYMENT="embedding"',
      'AZURE_OPENAI_EMB_DEPLOYMENT_VERSION=1',
      'AZURE_OPENAI_EMB_DIMENSIONS=3072',
      'AZURE_OPENAI_EMB_MODEL_NAME="text-embedding-3-large"',
      'AZURE_SEARCH_INDEX="gptkbindex"',
      'AZURE_SERVER_APP_SECRET="p\\$ss\\"w0rd\\!"',
      'AZURE_SUBSCRIPTION_ID="11111111-2222-3333-4444-555555555555"',
      'DEPLOYMENT_ZIP="01"',
      'OPENAI_HOST="azure_custom"',
      'USE_VECTORS="true"',
      '',
    ].join('\n');
    assert.equal(readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8'), expected);

    assertNoSecret(run);
    assert.match(run.stdout, /2025 client generation \(read from app\/backend\/prepdocslib\/servicesetup\.py\)/);
    assert.match(run.stdout, /OPENAI_HOST\s+azure → azure_custom/);
    assert.match(run.stdout, /AZURE_OPENAI_CHATGPT_MODEL\s+gpt-4\.1-mini → gpt-5\.4-mini/);
    assert.match(run.stdout, new RegExp(`AZURE_OPENAI_API_KEY_OVERRIDE +\\(unset\\) → ${masked().replace(/[()]/g, '\\$&')}\n`));
    assert.match(run.stdout, /Already right: AZURE_OPENAI_EMB_DIMENSIONS\./);
    assert.ok(run.stdout.includes(`cd ${dir} && azd up --environment dev`), run.stdout);

    const again = await wire(['--chat-dir', dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing changed/);
    assert.equal(readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8'), expected, 'a re-run writes nothing new');
  });

  it('2024 chat app with azd on PATH: one `azd env set` per changed key (the key from a file), the bare balancer URL as azure_endpoint', async () => {
    const dir = chatApp('chat-app-2024', seededEnv);
    const from = azdCalls().length;
    const run = await wire(['--chat-dir', dir], fakeAzdPath);
    assert.equal(run.code, 0, run.stderr);
    assertNoSecret(run);
    assert.match(run.stdout, /2024 client generation \(read from app\/backend\/app\.py\)/);
    assert.match(run.stdout, /with azd env set/);
    const set = (key: string, value: string) => ['env', 'set', '--environment', 'dev', '--cwd', dir, '--', key, value];
    const calls = azdCalls().slice(from);
    // The key goes through a file (`azd env set --file`), never on azd's command line.
    assert.deepEqual(calls[2]!.slice(0, -1), ['env', 'set', '--environment', 'dev', '--cwd', dir, '--file']);
    assert.ok(!JSON.stringify(calls).includes(clientKey), 'no azd argv holds the key');
    assert.deepEqual(
      [...calls.slice(0, 2), ...calls.slice(3)],
      [
        set('OPENAI_HOST', 'azure_custom'),
        set('AZURE_OPENAI_CUSTOM_URL', url),
        set('AZURE_OPENAI_CHATGPT_DEPLOYMENT', 'chat'),
        set('AZURE_OPENAI_CHATGPT_MODEL', 'gpt-5.4-mini'),
        set('AZURE_OPENAI_CHATGPT_DEPLOYMENT_VERSION', '2026-03-17'),
        set('AZURE_OPENAI_EMB_DEPLOYMENT', 'embedding'),
        set('AZURE_OPENAI_EMB_MODEL_NAME', 'text-embedding-3-large'),
        set('AZURE_OPENAI_EMB_DEPLOYMENT_VERSION', '1'),
      ],
    );
    assert.equal(readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8'), seededEnv, 'with azd, only azd writes the file');
  });

  it('--deploy runs `azd up` in the chat app and streams its output', async () => {
    const dir = chatApp('chat-app-2025', seededEnv);
    const from = azdCalls().length;
    const run = await wire(['--chat-dir', dir, '--deploy'], fakeAzdPath);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(azdCalls().at(-1), ['up', '--environment', 'dev', '--cwd', dir]);
    assert.equal(azdCalls().slice(from).length, 10, '9 env set, then up');
    assert.match(run.stdout, /fake azd: Provisioning Azure resources[\s\S]*fake azd: SUCCESS/);
    assert.doesNotMatch(run.stdout, /Next: deploy/);
  });

  it('--create makes the environment as `azd env new` does; --generation overrides the source; --json masks the key', async () => {
    const dir = chatApp('chat-app-2024');
    const run = await wire(['--chat-dir', dir, '--chat-env', 'lb', '--create', '--generation', '2025', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assertNoSecret(run);
    const result = JSON.parse(run.stdout) as {
      created: boolean;
      generation: string;
      generationFrom: string;
      via: string;
      changes: Array<{ key: string; old: string; new: string }>;
    };
    assert.equal(result.created, true);
    assert.equal(result.generation, '2025');
    assert.equal(result.generationFrom, '--generation');
    assert.equal(result.via, 'file');
    assert.deepEqual(
      result.changes.find((change) => change.key === 'AZURE_OPENAI_API_KEY_OVERRIDE'),
      { key: 'AZURE_OPENAI_API_KEY_OVERRIDE', old: '(unset)', new: masked() },
    );
    assert.equal(readFileSync(join(dir, '.azure', 'config.json'), 'utf8'), '{"version":1,"defaultEnvironment":"lb"}');
    assert.equal(readFileSync(join(dir, '.azure', '.gitignore'), 'utf8'), '# .azure is not intended to be committed\n*');
    const env = readFileSync(join(dir, '.azure', 'lb', '.env'), 'utf8');
    assert.ok(env.startsWith('AZURE_ENV_NAME="lb"\nAZURE_OPENAI_API_KEY_OVERRIDE='), env);
    assert.ok(env.includes(`AZURE_OPENAI_CUSTOM_URL="${url}/openai/v1"\n`), env);
  });

  it('--create with azd on PATH runs `azd env new`', async () => {
    const dir = chatApp('chat-app-2025');
    const from = azdCalls().length;
    const run = await wire(['--chat-dir', dir, '--chat-env', 'lb', '--create'], fakeAzdPath);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(azdCalls()[from], ['env', 'new', 'lb', '--no-prompt', '--cwd', dir]);
  });

  it('refuses a folder that is not an azd project, an environment `up` has not deployed, a missing chat env, an unknown app, --deploy without azd', async () => {
    const empty = mkdtempSync(join(root, 'not-azd-'));
    const notProject = await wire(['--chat-dir', empty]);
    assert.equal(notProject.code, 2);
    assert.match(notProject.stderr, /is not an azd project: it has no azure\.yaml/);

    const fresh = await runCli(['env', 'new', 'fresh', '--cwd', world.projectDir], world.env);
    assert.equal(fresh.code, 0, fresh.stderr);
    const notDeployed = await runCli(['wire-chat', '--cwd', world.projectDir, '-e', 'fresh', '--chat-dir', chatApp('chat-app-2025', seededEnv)], {
      ...world.env,
      PATH: noAzdPath,
    });
    assert.equal(notDeployed.code, 1);
    assert.match(notDeployed.stderr, /environment "fresh" has no CONTAINER_APP_URL: `aoai-lb up` has not completed for it/);
    assert.match(notDeployed.stderr, /aoai-lb up --env fresh/);

    const noEnv = chatApp('chat-app-2025');
    const missing = await wire(['--chat-dir', noEnv, '--chat-env', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no azd environment "nope"/);
    assert.match(missing.stderr, /add --create/);
    assert.equal(existsSync(join(noEnv, '.azure')), false, 'nothing created');

    const unknown = mkdtempSync(join(root, 'unknown-app-'));
    writeFileSync(join(unknown, 'azure.yaml'), 'name: something-else\n');
    const undetected = await wire(['--chat-dir', unknown, '--chat-env', 'x', '--create']);
    assert.equal(undetected.code, 2);
    assert.match(undetected.stderr, /cannot tell which OpenAI client/);
    assert.match(undetected.stderr, /--generation 2024/);
    assert.equal(existsSync(join(unknown, '.azure')), false, 'nothing created');

    const dir = chatApp('chat-app-2025', seededEnv);
    const noAzd = await wire(['--chat-dir', dir, '--deploy']);
    assert.equal(noAzd.code, 2);
    assert.match(noAzd.stderr, /--deploy runs `azd up`, and azd is not on PATH/);
    assert.equal(readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8'), seededEnv, 'nothing changed');
  });
});
