/**
 * aoai-lb as a user gets it: `npm pack` of this tree (built by `npm test`), installed into an empty
 * prefix with `npm install -g --prefix`, and run from an empty folder by the installed `aoai-lb`, so
 * nothing can come from the clone. Also `npx --package=<tarball> aoai-lb`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AzureOpenAI } from 'openai';
import { runCli, startCli, type CliLocation, type CliProcess } from '../helpers/cli-process.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';
import { waitFor } from '../helpers/wait.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let scratch: string;
let tarball: string;
let installed: CliLocation;
let userDir: string;
const running: CliProcess[] = [];

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'aoai-lb-package-'));
  // --ignore-scripts: `prepare` would rebuild dist/ under the other tests that are running; npm test built it.
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], repo)) as Array<{ filename: string }>;
  tarball = join(scratch, packed[0]!.filename);
  const prefix = join(scratch, 'prefix');
  npm(['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], scratch);
  userDir = join(scratch, 'user');
  mkdirSync(userDir);
  installed = { bin: join(prefix, 'bin', 'aoai-lb'), cwd: userDir };
});

after(async () => {
  await Promise.all(running.map((cli) => cli.stop('SIGKILL')));
  rmSync(scratch, { recursive: true, force: true });
});

/** The installed CLI, with HOME in the scratch folder and no clone on any path. */
function start(args: string[], env: Record<string, string> = {}): CliProcess {
  const cli = startCli(args, { HOME: userDir, ...env }, installed);
  running.push(cli);
  return cli;
}

function jsonLines(cli: CliProcess): Array<Record<string, unknown>> {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the packed and installed aoai-lb', () => {
  it('is a copy of its own, not a link into the clone, with the balancer built inside it', () => {
    const packageDir = join(scratch, 'prefix', 'lib', 'node_modules', 'aoai-lb');
    assert.ok(!lstatSync(packageDir).isSymbolicLink());
    const shipped = readdirSync(join(packageDir, 'templates', 'balancer', 'dist'));
    assert.ok(shipped.includes('main.js') && shipped.includes('server.js'), shipped.join(' '));
    assert.ok(!shipped.some((file) => file.endsWith('.d.ts')), 'type declarations are not shipped');
    assert.deepEqual(readdirSync(join(packageDir, 'templates', 'balancer')).sort(), [
      '.dockerignore',
      'Dockerfile',
      'dist',
      'package-lock.json',
      'package.json',
      'src',
      'tsconfig.json',
    ]);
  });

  it('prints its version and every command in --help', async () => {
    const versionRun = await runCli(['--version'], { HOME: userDir }, installed);
    assert.equal(versionRun.stdout.trim(), version);
    const help = await runCli(['--help'], { HOME: userDir }, installed);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['up', 'wire-chat', 'logs', 'capacity', 'status', 'down', 'env', 'serve', 'dev', 'simulate']) {
      assert.match(help.stdout, new RegExp(`^ {2}${command}\\b`, 'm'), `--help lists ${command}`);
    }
  });

  it('runs dev --json: ready, traffic through the balancer, stopped', async () => {
    const dev = start(['dev', '--json', '--port', '0', '--demo-load', '--time-scale', '60']);
    const ready = await waitFor('the ready line', () => jsonLines(dev).find((line) => line.type === 'ready'), 30_000);
    assert.equal((ready.backends as unknown[]).length, 3);
    await waitFor(`a status with answered traffic (stderr: ${dev.stderr().slice(-300)})`, () =>
      jsonLines(dev).find((line) => line.type === 'status' && (line.totals as { succeeded: number }).succeeded > 0),
    );
    assert.equal(await dev.stop('SIGINT'), 0);
    assert.equal(jsonLines(dev).at(-1)!.type, 'stopped');
  });

  it('runs simulate and serve: a chat completion through the installed balancer', async () => {
    const simulate = start(['simulate', '--port', '0', '--api-key', 'backend-key', '--latency', 'none']);
    const [simulatorUrl] = await simulate.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 30_000);
    const serve = start(['serve', '--port', '0', '--backend', `${simulatorUrl}=backend-key`, '--client-api-keys', 'client-key']);
    const [, balancerUrl] = await serve.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
    const client = new AzureOpenAI({ endpoint: balancerUrl!, apiKey: 'client-key', apiVersion: '2024-10-21', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20 });
    assert.equal(completion.object, 'chat.completion');
    await serve.waitForOutput(new RegExp(`Proxying to ${simulatorUrl!.replace(/[.]/g, '\\.')}`));
    assert.equal(await serve.stop('SIGTERM'), 0);
    assert.equal(await simulate.stop('SIGINT'), 0);
  });

  describe('up --dry-run against the twin', () => {
    let world: UpWorld;
    before(async () => {
      world = await startUpWorld({ twin: { runApps: false } });
    });
    after(async () => world?.close());

    it("plans exactly what the clone plans, the build context hashed from the package's template files", async () => {
      const args = ['up', '--cwd', world.projectDir, '--env', 'pkg', '--regions', 'eastus,westus3', '--dry-run', '--json'];
      const fromPackage = await runCli(args, world.env, installed);
      assert.equal(fromPackage.code, 0, fromPackage.stderr);
      const fromClone = await world.up(args.slice(3));
      assert.equal(fromClone.code, 0, fromClone.stderr);
      const plan = (run: { stdout: string }): { image: string } => (JSON.parse(run.stdout) as { plan: { image: string } }).plan;
      assert.match(plan(fromPackage).image, /\.azurecr\.io\/[\w-]+:[0-9a-f]{12}$/);
      assert.deepEqual(plan(fromPackage), plan(fromClone));
    });
  });

  it('runs with npx --package=<tarball>', async () => {
    const npxCache = join(homedir(), '.npm', '_npx');
    const listNpx = (): string[] => {
      try {
        return readdirSync(npxCache);
      } catch {
        return [];
      }
    };
    const before = new Set(listNpx());
    try {
      const output = execFileSync('npx', ['--yes', '--prefer-offline', `--package=${tarball}`, 'aoai-lb', '--version'], {
        cwd: userDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      assert.equal(output.trim(), version);
    } finally {
      for (const entry of listNpx()) if (!before.has(entry)) rmSync(join(npxCache, entry), { recursive: true, force: true });
    }
  });
});
