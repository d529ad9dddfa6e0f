// `aoai-lb wire-chat` with azd on PATH never puts the client key on azd's command line (issue 10), where `ps`
// shows it to every user of the machine. The built CLI runs after one real `up` against the Azure twin, with
// fake azd executables that record their argv: a current azd (`azd env set --file`, 1.17.1+), an older one
// that rejects `--file` (the key is then written into .azure/<env>/.env in azd's format), and one that
// fails and echoes what it was given (the key must not reach wire-chat's output).
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseDotenv } from '../../src/env/dotenv.js';
import { runCli } from '../helpers/cli-process.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** PATH entries that hold no azd, so only the fake one is found. */
const systemPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => dir && !existsSync(join(dir, 'azd')))
  .join(delimiter);

const seededEnv = [
  'AZURE_ENV_NAME="dev"',
  'AZURE_LOCATION="eastus"',
  'AZURE_OPENAI_CHATGPT_DEPLOYMENT="gpt-4.1-mini"',
  'AZURE_SERVER_APP_SECRET="p\\$ss\\"w0rd\\!"',
  'DEPLOYMENT_ZIP="01"',
  'OPENAI_HOST="azure"',
  '',
].join('\n');

type AzdKind = 'current' | 'old' | 'broken';

/** What each fake does with `env set --file <path>`; every other call is only recorded. */
const onFile: Record<AzdKind, string> = {
  // azd 1.17.1+: loads the file into the environment (appended here; azd would re-sort on save).
  current: 'cp "$file" "$seen"; cat "$file" >> "$cwd/.azure/$env/.env"',
  // azd before 1.17.1: cobra rejects the flag.
  old: "echo 'ERROR: unknown flag: --file' >&2; exit 1",
  // A failure whose message echoes the file's content.
  broken: 'echo "ERROR: failed to parse file $file: $(cat "$file")" >&2; exit 1',
};

describe("aoai-lb wire-chat keeps the client key off azd's command line", { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let root: string;
  let clientKey: string;
  let basePath: string;

  /** A fake azd on its own PATH: one log line per call (arguments NUL-separated), and the last --file seen. */
  const fakeAzd = (kind: AzdKind) => {
    const dir = mkdtempSync(join(root, `azd-${kind}-`));
    const log = join(dir, 'calls.log');
    const seen = join(dir, 'seen.env');
    writeFileSync(
      join(dir, 'azd'),
      [
        '#!/bin/sh',
        `for arg in "$@"; do printf '%s\\0' "$arg"; done >> '${log}'`,
        `printf '\\n' >> '${log}'`,
        `seen='${seen}'; env=; cwd=; file=`,
        'while [ $# -gt 0 ]; do',
        '  case "$1" in --environment) env=$2; shift ;; --cwd) cwd=$2; shift ;; --file) file=$2; shift ;; esac',
        '  shift',
        'done',
        '[ -z "$file" ] && exit 0',
        onFile[kind],
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'azd'), 0o755);
    return {
      path: `${dir}${delimiter}${basePath}`,
      seen,
      calls: (): string[][] =>
        existsSync(log)
          ? readFileSync(log, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => line.split('\0').slice(0, -1))
          : [],
    };
  };
  const chatApp = (): string => {
    const dir = mkdtempSync(join(root, 'chat-app-'));
    cpSync(join(fixtures, 'chat-app-2025'), dir, { recursive: true });
    mkdirSync(join(dir, '.azure', 'dev'), { recursive: true });
    writeFileSync(join(dir, '.azure', 'config.json'), '{"version":1,"defaultEnvironment":"dev"}');
    writeFileSync(join(dir, '.azure', 'dev', '.env'), seededEnv);
    return dir;
  };
  const wire = (dir: string, path: string) => runCli(['wire-chat', '--cwd', world.projectDir, '-e', 'demo', '--chat-dir', dir], { ...world.env, PATH: path });
  const assertKeyNowhere = (calls: string[][], run: { stdout: string; stderr: string }) => {
    assert.ok(calls.length > 0, 'azd was run');
    for (const argv of calls) assert.ok(!argv.some((arg) => arg.includes(clientKey)), `the key is on azd's command line: ${argv.join(' ')}`);
    assert.ok(!run.stdout.includes(clientKey) && !run.stderr.includes(clientKey), 'the client key is never printed');
  };

  before(async () => {
    world = await startUpWorld();
    root = mkdtempSync(join(tmpdir(), 'aoai-lb-wire-chat-secrets-'));
    const azOnly = join(root, 'az-only');
    mkdirSync(azOnly);
    symlinkSync(join(world.cli.binDir, 'az'), join(azOnly, 'az'));
    basePath = `${azOnly}${delimiter}${systemPath}`;
    const up = await world.up(['--env', 'demo', '--regions', 'eastus,swedencentral,westus3', '--location', 'eastus2', '--json', '--show-key']);
    assert.equal(up.code, 0, `stdout: ${up.stdout}\nstderr: ${up.stderr}`);
    ({ clientKey } = JSON.parse(up.stdout) as { clientKey: string });
  });
  after(async () => {
    await world?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('current azd: the key goes through `azd env set --file` (a private file, removed afterwards), the rest through `azd env set -- KEY VALUE`', async () => {
    const azd = fakeAzd('current');
    const dir = chatApp();
    const run = await wire(dir, azd.path);
    assert.equal(run.code, 0, run.stderr);
    const calls = azd.calls();
    assertKeyNowhere(calls, run);

    const fileCalls = calls.filter((argv) => argv.includes('--file'));
    assert.equal(fileCalls.length, 1);
    const [fileCall] = fileCalls;
    const secretFile = fileCall!.at(-1)!;
    assert.deepEqual(fileCall, ['env', 'set', '--environment', 'dev', '--cwd', dir, '--file', secretFile]);
    assert.ok(!secretFile.startsWith(dir), 'the file is not left in the chat app');
    assert.ok(!existsSync(secretFile), 'the file is removed once azd has read it');
    assert.equal(readFileSync(azd.seen, 'utf8'), `AZURE_OPENAI_API_KEY_OVERRIDE="${clientKey}"\n`, 'azd got the key in its own .env format');

    const setCalls = calls.filter((argv) => argv[0] === 'env' && argv[1] === 'set' && !argv.includes('--file'));
    assert.ok(setCalls.length >= 8, `the other keys through azd env set: ${JSON.stringify(setCalls)}`);
    assert.ok(!setCalls.some((argv) => argv.includes('AZURE_OPENAI_API_KEY_OVERRIDE')));
    assert.equal(
      parseDotenv(readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8')).AZURE_OPENAI_API_KEY_OVERRIDE,
      clientKey,
      "the chat app's environment holds the key",
    );
    assert.match(run.stdout, /with azd env set/);
  });

  it("azd older than 1.17.1 (no --file): the key is written into .azure/<env>/.env in azd's format, the rest through azd", async () => {
    const azd = fakeAzd('old');
    const dir = chatApp();
    const run = await wire(dir, azd.path);
    assert.equal(run.code, 0, run.stderr);
    const calls = azd.calls();
    assertKeyNowhere(calls, run);
    assert.equal(calls.filter((argv) => argv.includes('--file')).length, 1, 'azd was asked first');
    assert.ok(calls.filter((argv) => !argv.includes('--file')).length >= 8, 'the other keys went through azd env set');
    // The fake azd writes nothing, so the file is the seeded one plus the key, sorted as azd sorts.
    assert.equal(
      readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8'),
      [
        'AZURE_ENV_NAME="dev"',
        'AZURE_LOCATION="eastus"',
        `AZURE_OPENAI_API_KEY_OVERRIDE="${clientKey}"`,
        'AZURE_OPENAI_CHATGPT_DEPLOYMENT="gpt-4.1-mini"',
        'AZURE_SERVER_APP_SECRET="p\\$ss\\"w0rd\\!"',
        'DEPLOYMENT_ZIP="01"',
        'OPENAI_HOST="azure"',
        '',
      ].join('\n'),
    );
  });

  it('an azd that fails and echoes the key: wire-chat fails naming the call, with the key blotted out', async () => {
    const azd = fakeAzd('broken');
    const dir = chatApp();
    const run = await wire(dir, azd.path);
    assert.equal(run.code, 1, run.stderr);
    assertKeyNowhere(azd.calls(), run);
    assert.match(
      run.stderr,
      /`azd env set --file \(AZURE_OPENAI_API_KEY_OVERRIDE\)` failed in .*: ERROR: failed to parse file .*AZURE_OPENAI_API_KEY_OVERRIDE="\*\*\*"/,
    );
    assert.equal(readFileSync(join(dir, '.azure', 'dev', '.env'), 'utf8'), seededEnv, 'nothing written on failure');
  });
});
