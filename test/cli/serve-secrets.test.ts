/**
 * Keys kept off the command line (issue 10): `serve --client-api-keys-file <path|->`, `--backend <url>=@<path>`
 * (serve and dev), and the container's CLIENT_API_KEYS_FILE / BACKEND_<n>_APIKEY_FILE. The built CLI runs as
 * a child process in front of a real simulator that demands its own key, driven by the official openai
 * package; while it runs, the child's /proc/<pid>/cmdline (what `ps` shows) and environ must not hold a key.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI, OpenAI } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cliPath, runCli, startCli, type CliProcess } from '../helpers/cli-process.js';
import { startRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const backendKey = secret('backend-key');
const clientKey = secret('client-key');
const otherClientKey = secret('other-client-key');
const procReadable = existsSync(`/proc/${process.pid}/cmdline`);

let dir: string;
let simulator: Simulator;
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
};
const running: CliProcess[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aoai-lb-serve-secrets-'));
  simulator = await startSimulator({ apiKeys: [backendKey], latency: 'none' });
});
after(async () => {
  await Promise.all(running.map((cli) => cli.stop('SIGKILL')));
  await simulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The child's argv and environment as other users of the machine can read them. */
function exposed(pid: number): { argv: string[]; environ: string } {
  return {
    argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean),
    environ: readFileSync(`/proc/${pid}/environ`, 'utf8'),
  };
}

function assertNoKeyExposed(pid: number, flag: string): void {
  if (!procReadable) return;
  const { argv, environ } = exposed(pid);
  assert.ok(argv.includes(flag), `read the right process: ${argv.join(' ')}`);
  for (const key of [backendKey, clientKey, otherClientKey]) {
    assert.ok(!argv.some((arg) => arg.includes(key)), `a key is in argv: ${argv.join(' ')}`);
    assert.ok(!environ.includes(key), 'a key is in the environment');
  }
}

/** A chat completion through the 2024 client and an embedding through the v1 client, with the given keys. */
async function assertServes(url: string, keys: [string, string]): Promise<void> {
  const azure = new AzureOpenAI({ endpoint: url, apiKey: keys[0], apiVersion: '2024-10-21', maxRetries: 0 });
  const completion = await azure.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
  assert.equal(completion.object, 'chat.completion');
  const v1 = new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: keys[1], maxRetries: 0 });
  assert.equal((await v1.embeddings.create({ model: 'embedding', input: 'hi' })).data.length, 1);
  assert.equal((await fetch(`${url}/status`, { headers: { 'api-key': 'not-a-key' } })).status, 401);
}

/** startCli with the given text on stdin (startCli's stdin is /dev/null). */
function startCliWithStdin(args: string[], input: string): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const cli: CliProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      waitFor(`output matching ${pattern} (stderr: ${err.slice(-500)})`, () => (out + err).match(pattern) ?? undefined, timeoutMs),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.push(cli);
  return cli;
}

function start(args: string[], env: Record<string, string> = {}): CliProcess {
  const cli = startCli(args, env);
  running.push(cli);
  return cli;
}

describe('aoai-lb serve: keys from files and stdin, never on the command line', () => {
  it('--client-api-keys-file <path> and --backend <url>=@<path>: requests succeed, and no key is in argv or environ', async () => {
    const keys = file('client-keys', `\n  ${otherClientKey} ,\r\n\n\t${clientKey}\n\n`);
    const backend = file('backend-key', `${backendKey}\n`);
    const serve = start(['serve', '--port', '0', '--backend', `${simulator.url}=@${backend}`, '--client-api-keys-file', keys]);
    const url = (await serve.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
    assertNoKeyExposed(serve.child.pid!, '--client-api-keys-file');
    await assertServes(url, [clientKey, otherClientKey]);
    assert.doesNotMatch(serve.stderr(), /warning:/, 'no warning when no key is on the command line');
    assert.equal(await serve.stop(), 0);
  });

  it('--client-api-keys-file - reads the keys from stdin', async () => {
    const backend = file('backend-key-stdin', backendKey);
    const serve = startCliWithStdin(
      ['serve', '--port', '0', '--backend', `${simulator.url}=@${backend}`, '--client-api-keys-file', '-'],
      `${clientKey},${otherClientKey}\n`,
    );
    const url = (await serve.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
    assertNoKeyExposed(serve.child.pid!, '--client-api-keys-file');
    await assertServes(url, [otherClientKey, clientKey]);
    assert.equal(await serve.stop(), 0);
  });

  it('CLIENT_API_KEYS_FILE and BACKEND_<n>_APIKEY_FILE, as the container reads mounted secrets', async () => {
    const serve = start(['serve'], {
      PORT: '0',
      BACKEND_1_URL: simulator.url,
      BACKEND_1_APIKEY_FILE: file('env-backend-key', `${backendKey}\n`),
      CLIENT_API_KEYS_FILE: file('env-client-keys', `${clientKey}\n${otherClientKey}\n`),
    });
    const url = (await serve.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
    await assertServes(url, [clientKey, otherClientKey]);
    assert.match(serve.stderr() + serve.stdout(), /Backend 1: .*auth=api-key/);
    assert.equal(await serve.stop(), 0);
  });

  it('WORKERS=2: the workers get the keys from the primary over IPC, not in their environment', async () => {
    const redis = await startRedis();
    try {
      const keys = file('workers-client-keys', `${clientKey}\n`);
      const backend = file('workers-backend-key', `${backendKey}\n`);
      const serve = start(['serve', '--port', '0', '--backend', `${simulator.url}=@${backend}`, '--client-api-keys-file', keys], {
        WORKERS: '2',
        SHARED_STATE_URL: redis.url,
      });
      await waitFor('two workers listening', () => ((serve.stdout() + serve.stderr()).match(/listening on/g)?.length ?? 0) >= 2, 20_000);
      const url = /listening on (http:\/\/\S+)/.exec(serve.stdout() + serve.stderr())![1]!;
      const pids = new Set<number>();
      await waitFor('both workers answering', async () => {
        const response = await fetch(`${url}/status`, { headers: { 'api-key': clientKey, connection: 'close' } });
        const status = (await response.json()) as { sharedState?: { replica: string } };
        pids.add(Number(/:(\d+):/.exec(status.sharedState?.replica ?? '')?.[1]));
        return pids.size === 2;
      });
      await assertServes(url, [clientKey, clientKey]);
      if (procReadable) {
        for (const pid of pids) {
          assert.notEqual(pid, serve.child.pid);
          const { environ } = exposed(pid);
          assert.ok(environ.includes('WORKERS=2'), 'read a worker of this serve');
          for (const key of [backendKey, clientKey]) assert.ok(!environ.includes(key), `a key is in worker ${pid}'s environment`);
        }
      }
      assert.equal(await serve.stop(), 0);
    } finally {
      await redis.close();
    }
  });

  it('keys given on the command line still work, with a warning that points to the file forms', async () => {
    const serve = start(['serve', '--port', '0', '--backend', `${simulator.url}=${backendKey}`, '--client-api-keys', clientKey]);
    const url = (await serve.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
    // The check the other tests pass: here, where the keys are on the command line, it sees them.
    if (procReadable)
      assert.ok(
        exposed(serve.child.pid!).argv.some((arg) => arg.includes(clientKey)),
        'what ps shows holds the key',
      );
    await assertServes(url, [clientKey, clientKey]);
    assert.match(serve.stderr(), /warning: --backend <url>=<key> puts a key on the command line, where `ps` shows it .*prefer --backend <url>=@<file>/);
    assert.match(serve.stderr(), /warning: --client-api-keys puts a key on the command line.*prefer --client-api-keys-file <path> \(or - for stdin\)/);
    await serve.stop();
  });
});

describe('aoai-lb serve: secret problems name the flag or variable and the path, never a key (exit 2)', () => {
  const backendFlag = () => ['--backend', `${simulator.url}=@${file('ok-backend-key', backendKey)}`];

  it('a keys file that cannot be read', async () => {
    const missing = join(dir, 'missing-keys');
    const result = await runCli(['serve', ...backendFlag(), '--client-api-keys-file', missing]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`^error: --client-api-keys-file: cannot read "${missing}": no such file\\n  → `, 'm'));
  });

  it('a backend key file that cannot be read, is empty, or holds more than the key', async () => {
    const missing = join(dir, 'missing-backend-key');
    const unreadable = await runCli(['serve', '--client-api-keys-file', file('k1', clientKey), '--backend', `${simulator.url}=@${missing}`]);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, new RegExp(`^error: --backend: cannot read "${missing}": no such file`, 'm'));
    const empty = await runCli(['serve', '--client-api-keys-file', file('k2', clientKey), '--backend', `${simulator.url}=@${file('empty-key', '\n')}`]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--backend: the key file ".*empty-key" for .* is empty/);
    const twoLines = await runCli([
      'serve',
      '--client-api-keys-file',
      file('k3', clientKey),
      '--backend',
      `${simulator.url}=@${file('two-keys', `${backendKey}\n${otherClientKey}\n`)}`,
    ]);
    assert.equal(twoLines.code, 2);
    assert.match(twoLines.stderr, /holds more than one line/);
    for (const run of [unreadable, empty, twoLines]) assert.ok(![backendKey, clientKey, otherClientKey].some((key) => run.stderr.includes(key)), run.stderr);
  });

  it('both forms of the client keys: flags, or variables', async () => {
    const keys = file('both-keys', otherClientKey);
    const flags = await runCli(['serve', ...backendFlag(), '--client-api-keys', clientKey, '--client-api-keys-file', keys]);
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /--client-api-keys-file and --client-api-keys both give the client keys/);
    const variables = await runCli(['serve', ...backendFlag()], { CLIENT_API_KEYS: clientKey, CLIENT_API_KEYS_FILE: keys });
    assert.equal(variables.code, 2);
    assert.match(variables.stderr, /^ {2}CLIENT_API_KEYS_FILE: set together with CLIENT_API_KEYS; set only one of them/m);
    for (const run of [flags, variables]) assert.ok(!run.stderr.includes(clientKey) && !run.stderr.includes(otherClientKey), run.stderr);
  });

  it('an unreadable BACKEND_<n>_APIKEY_FILE names the variable and the path', async () => {
    const missing = join(dir, 'missing-env-key');
    const result = await runCli(['serve'], { BACKEND_1_URL: simulator.url, BACKEND_1_APIKEY_FILE: missing, CLIENT_API_KEYS_FILE: file('k4', clientKey) });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`^ {2}BACKEND_1_APIKEY_FILE: cannot read "${missing}": no such file\\.$`, 'm'));
  });

  it('--client-api-keys-file - with nothing on stdin', async () => {
    const result = await runCli(['serve', ...backendFlag(), '--client-api-keys-file', '-']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--client-api-keys-file: stdin holds no keys/);
  });
});

describe('--help shows the file forms', () => {
  it('serve and dev', async () => {
    const serve = await runCli(['serve', '--help']);
    assert.equal(serve.code, 0);
    assert.match(serve.stdout, /--client-api-keys-file <path>/);
    assert.match(serve.stdout, /- reads them from stdin/);
    assert.match(serve.stdout, /--backend <url\[=@file\|=key\]>/);
    assert.match(serve.stdout.replace(/\s+/g, ' '), /<url>=@<file> reads its API key from a file \(preferred: `ps` shows a key given as <url>=<key>\)/);
    const dev = await runCli(['dev', '--help']);
    assert.equal(dev.code, 0);
    assert.match(dev.stdout.replace(/\s+/g, ' '), /--backend <url\[=@file\|=key\]> .*<url>=@<file> reads its key from a file/);
  });
});

describe('aoai-lb dev --backend <url>=@<path>', () => {
  it('fronts the endpoint with the key from the file, which is not in argv', async () => {
    const dev = start([
      'dev',
      '--port',
      '0',
      '--json',
      '--backend',
      `${simulator.url}=@${file('dev-backend-key', `${backendKey}\n`)}`,
      '--client-key',
      'my-local-key',
    ]);
    const ready = await waitFor(
      `the ready line (stderr: ${dev.stderr().slice(-300)})`,
      () =>
        dev
          .stdout()
          .split('\n')
          .find((line) => line.startsWith('{"type":"ready"')),
      30_000,
    );
    const { url } = JSON.parse(ready) as { url: string };
    assertNoKeyExposed(dev.child.pid!, '--backend');
    const v1 = new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: 'my-local-key', maxRetries: 0 });
    assert.equal((await v1.embeddings.create({ model: 'embedding', input: 'hello' })).data.length, 1);
    assert.doesNotMatch(dev.stderr(), /warning:/);
    assert.equal(await dev.stop('SIGINT'), 0);
  });

  it('a key file that cannot be read: exit 2 naming --backend and the path, with a suggestion', async () => {
    const missing = join(dir, 'missing-dev-key');
    const result = await runCli(['dev', '--json', '--backend', `https://a.openai.azure.com=@${missing}`]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`--backend: cannot read "${missing}": no such file\\n  → `));
    assert.equal(result.stdout, '');
  });
});
