import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AzureOpenAI } from 'openai';
import { API_VERSION } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/aoai-lb.js', import.meta.url));

function run(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForOutput(proc: ReturnType<typeof run>, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const match = pattern.exec(proc.stdout());
    if (match) return match;
    const next = await Promise.race([once(proc.child.stdout!, 'data').then(() => 'data'), proc.exit.then(() => 'exit')]);
    if (next === 'exit') {
      const late = pattern.exec(proc.stdout());
      if (late) return late;
      throw new Error(`exited before printing ${pattern}: ${proc.stdout()} ${proc.stderr()}`);
    }
  }
}

test('simulate: prints its URL and deployments, serves, and stops on SIGINT with exit 0', async () => {
  const proc = run(['simulate', '--port', '0', '--deployment', 'chat=gpt-4o:5000', '--api-key', 'secret', '--latency', 'none', '--region', 'UK South']);
  try {
    const [, url] = await waitForOutput(proc, /listening on (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*control:/);
    assert.match(proc.stdout(), /deployment chat: gpt-4o, 5000 TPM/);
    const client = new AzureOpenAI({ endpoint: url!, apiKey: 'secret', apiVersion: API_VERSION, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(data.model, 'gpt-4o');
    assert.equal(response.headers.get('x-ms-region'), 'UK South');
    proc.child.kill('SIGINT');
    assert.equal(await proc.exit, 0);
  } finally {
    proc.child.kill('SIGKILL');
  }
});

test('an option value that looks like the program -v option (a random key may start with it) is the value, not --version', async () => {
  const key = '-vQx9Hn2';
  const proc = run(['simulate', '--port', '0', '--api-key', key, '--latency', 'none', '--verbose']);
  try {
    const [, url] = await waitForOutput(proc, /listening on (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*control:/);
    const client = new AzureOpenAI({ endpoint: url!, apiKey: key, apiVersion: API_VERSION, maxRetries: 0 });
    assert.equal((await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })).object, 'chat.completion');
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exit, 0);
  } finally {
    proc.child.kill('SIGKILL');
  }
});

test('simulate without --api-key warns that auth is off; SIGTERM also stops it', async () => {
  const proc = run(['simulate', '--tpm', '2', '--latency', '0,0']);
  try {
    await waitForOutput(proc, /control:/);
    assert.match(proc.stdout(), /deployment chat: gpt-35-turbo, 2000 TPM/);
    assert.match(proc.stdout(), /deployment embedding: text-embedding-ada-002, 2000 TPM/);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exit, 0);
    assert.match(proc.stderr(), /auth is off/);
  } finally {
    proc.child.kill('SIGKILL');
  }
});

for (const [args, message] of [
  [['--deployment', 'chat'], /--deployment "chat" is not name=model:tpm/],
  [['--port', 'abc'], /--port "abc" is not a whole number from 0 to 65535\./],
  [['--latency', 'fast'], /--latency "fast"/],
  [['--time-scale', '0'], /--time-scale "0" is not a number above 0\./],
  [['--tpm', '5000', '--deployment', 'a=gpt-4o:1000'], /--tpm applies to the default deployments only/],
  [['--bogus'], /unknown option '--bogus'/],
] as const) {
  test(`simulate ${args.join(' ')} → exit 2 and a clear message`, async () => {
    const proc = run(['simulate', ...args]);
    assert.equal(await proc.exit, 2);
    assert.match(proc.stderr(), message);
  });
}
