// `up --dry-run --json` against the twin: what `up` would create for the flags a user gives, read-only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
    for (const [region, free] of [['japaneast', 290], ['uksouth', 280], ['canadaeast', 270]] as const) {
      world.twin.catalog.setLimit(region, 'OpenAI.Standard.gpt-5.4-mini', 300 + free);
      world.twin.catalog.setLimit(region, 'OpenAI.Standard.text-embedding-3-large', 300 + free);
    }
    const { plan } = await dryRun(['--env', 'auto', '--regions', 'auto']);
    assert.deepEqual(plan.accounts.map((a) => a.region), ['japaneast', 'uksouth', 'canadaeast']);
    assert.equal(plan.resourceGroup.location, 'japaneast', 'the first account region hosts the rest unless --location says otherwise');
  });

  it('--accounts, --priorities, --sku GlobalStandard, --capacity and --image shape the plan', async () => {
    const { plan } = await dryRun(['--env', 'shaped', '--regions', 'eastus,westus3', '--priorities', '1,2', '--sku', 'GlobalStandard', '--capacity', '80', '--image', 'myregistry.azurecr.io/lb:1']);
    assert.deepEqual(plan.accounts.map((a) => [a.region, a.priority]), [['eastus', 1], ['westus3', 2]]);
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
  });
});
