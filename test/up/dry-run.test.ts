// `up --dry-run --json` against the twin: what `up` would create for the flags a user gives, read-only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { cliPath } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';

interface DryRun {
  dryRun: true;
  plan: {
    accounts: Array<{ name: string; region: string; priority: number; deployments: Array<{ name: string; sku: { name: string; capacity: number } }> }>;
    registry?: unknown;
    image: string;
    resourceGroup: { name: string; location: string };
  };
}

describe('up --dry-run', () => {
  let world: UpWorld;
  before(async () => {
    world = await startUpWorld({ twin: { runApps: false } });
  });
  after(async () => world?.close());

  const dryRun = async (args: string[]): Promise<DryRun> => {
    const run = await world.up(['--dry-run', '--json', ...args]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as DryRun;
  };

  it('--regions auto picks the regions with the most free quota for every model, one account each', async () => {
    for (const [region, free] of [
      ['japaneast', 290],
      ['uksouth', 280],
      ['canadaeast', 270],
    ] as const) {
      world.twin.catalog.setLimit(region, 'OpenAI.Standard.gpt-5.4-mini', 300 + free);
      world.twin.catalog.setLimit(region, 'OpenAI.Standard.text-embedding-3-large', 300 + free);
    }
    const { plan } = await dryRun(['--env', 'auto', '--regions', 'auto']);
    assert.deepEqual(
      plan.accounts.map((a) => a.region),
      ['japaneast', 'uksouth', 'canadaeast'],
    );
    assert.equal(plan.resourceGroup.location, 'japaneast', 'the first account region hosts the rest unless --location says otherwise');
  });

  it('--accounts, --priorities, --sku GlobalStandard, --capacity and --image shape the plan', async () => {
    const { plan } = await dryRun([
      '--env',
      'shaped',
      '--regions',
      'eastus,westus3',
      '--priorities',
      '1,2',
      '--sku',
      'GlobalStandard',
      '--capacity',
      '80',
      '--image',
      'myregistry.azurecr.io/lb:1',
    ]);
    assert.deepEqual(
      plan.accounts.map((a) => [a.region, a.priority]),
      [
        ['eastus', 1],
        ['westus3', 2],
      ],
    );
    assert.ok(plan.accounts.every((a) => a.deployments.every((d) => d.sku.name === 'GlobalStandard' && d.sku.capacity === 80)));
    assert.equal(plan.registry, undefined, 'a prebuilt image needs no registry or build');
    assert.equal(plan.image, 'myregistry.azurecr.io/lb:1');
  });

  it('bad flags are refused before anything is asked of Azure (exit code 2)', async () => {
    const before = world.twin.requests.length;
    const run = await world.up(['--env', 'bad', '--capacity', 'lots']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: --capacity "lots" is not a whole number from 1 to 10000\.$/m);
    assert.match(run.stderr, /^ {2}→ give thousands of tokens per minute per deployment/m);
    assert.equal(world.twin.requests.length, before);

    // Before anything else: no environment is selected here, and the flag is still what is reported.
    for (const [args, message] of [
      [['--capacity', 'abc'], /^error: --capacity "abc" is not a whole number from 1 to 10000\.$/m],
      [['--regions', 'eastus,eastus'], /^error: --regions names a region twice \(eastus,eastus\)\.$/m],
      [['--chat-model', 'gpt-4o'], /^error: --chat-model "gpt-4o" is not name:version\.$/m],
      [['--priorities', '1,x'], /^error: --priorities "x" is not a whole number from 1 to 1000\.$/m],
    ] as const) {
      const run = await world.up([...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /environment/);
    }
    assert.equal(world.twin.requests.length, before);
  });

  it('without --env or a selected environment: a clear error without a terminal, a prompt on one', async () => {
    const before = world.twin.requests.length;
    const refused = await world.up(['--dry-run']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error: no environment selected, and --env was not given\.$/m);
    assert.match(refused.stderr, /^ {2}→ name one: `aoai-lb up --env dev`/m);
    assert.equal(world.twin.requests.length, before, 'nothing was asked of Azure');

    // On a terminal (a pty made by util-linux `script`), up asks for the name as azd does.
    const command = [process.execPath, cliPath, 'up', '--cwd', world.projectDir, '--dry-run', '--regions', 'eastus,westus3']
      .map((word) => `'${word}'`)
      .join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, ...world.env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the question on the terminal', () => /Enter a name for the new environment/.test(screen) || undefined, 30_000);
      child.stdin.end('typed\n');
      assert.equal(await exited, 0, screen);
      assert.match(screen, /resource group +typed-rg/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
