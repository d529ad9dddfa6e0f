// `aoai-lb down` as a user runs it (the built CLI, a child process) against the Azure twin, after one
// real `up`: without a terminal and without --force it refuses; it refuses a group without the
// environment's tag; `down --purge --force` deletes the group, purges the accounts (names and quota free:
// `up --dry-run` passes a quota preflight that only fits once they are gone) and clears the outputs; an
// earlier `down` without --purge (stopped while ARM deleted the group, then resumed) leaves soft-deleted
// accounts that a later `down --purge` finds; and a re-run after everything is gone exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { ResourceManagementClient } from '@azure/arm-resources';
import { fastPoll, sdkOptions, staticCredential } from '../twin/sdk.js';
import { cliPath, runCli, startCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { startUpWorld, type UpWorld } from '../helpers/up-world.js';

const regions = ['eastus', 'swedencentral', 'westus3'];
const chatUsage = 'OpenAI.Standard.gpt-5.4-mini';
const outputs = [
  'CONTAINER_APP_URL',
  'CONTAINER_APP_NAME',
  'AZURE_OPENAI_ACCOUNTS',
  'AZURE_OPENAI_ENDPOINTS',
  'AZURE_MANAGED_IDENTITY_CLIENT_ID',
  'AZURE_CONTAINER_REGISTRY_NAME',
  'BALANCER_IMAGE_DEPLOYED',
];

describe('aoai-lb down against the Azure twin', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let resources: ResourceManagementClient;
  let cs: CognitiveServicesManagementClient;
  let accountNames: string[];

  const down = (args: string[]) => runCli(['down', '--cwd', world.projectDir, ...args], world.env);
  const envValues = async (env = 'demo'): Promise<Record<string, string>> => {
    const run = await runCli(['env', '--cwd', world.projectDir, 'get-values', '--env', env, '--json'], world.env);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout);
  };
  const deletedNames = async (): Promise<string[]> => {
    const names = [];
    for await (const account of cs.deletedAccounts.list()) names.push(account.name!);
    return names.sort();
  };
  const deletes = (from: number) => world.twin.requests.slice(from).filter((r) => r.method === 'DELETE');
  /** Runs down on a terminal (a pty made by util-linux `script`) and answers its question. */
  const downOnTerminal = async (args: string[], answer: string): Promise<{ code: number | null; screen: string }> => {
    const command = [process.execPath, cliPath, 'down', '--cwd', world.projectDir, ...args].map((word) => `'${word}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, ...world.env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(`the question on the terminal (so far: ${screen})`, () => /Delete\? \[y\/N\]/.test(screen) || undefined, 30_000);
      child.stdin.end(`${answer}\n`);
      return { code: await exited, screen };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  };
  const namesAvailable = async (): Promise<boolean[]> =>
    Promise.all(
      accountNames.map(
        async (name) => (await cs.checkDomainAvailability(name, 'Microsoft.CognitiveServices/accounts', { kind: 'OpenAI' })).isSubdomainAvailable === true,
      ),
    );

  before(async () => {
    world = await startUpWorld();
    // Quota for exactly one environment's chat deployments: a second `up` fits only once the first's quota is freed.
    for (const region of regions) world.twin.catalog.setLimit(region, chatUsage, 30);
    resources = new ResourceManagementClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    cs = new CognitiveServicesManagementClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    const up = await world.up(['--env', 'demo', '--regions', regions.join(','), '--location', 'eastus2', '--json']);
    assert.equal(up.code, 0, `stdout: ${up.stdout}\nstderr: ${up.stderr}`);
    accountNames = (JSON.parse(up.stdout) as { accounts: Array<{ name: string }> }).accounts.map((a) => a.name).sort();
  });
  after(async () => world?.close());

  it('without a terminal and without --force it refuses (exit 2), naming the fix, and deletes nothing', async () => {
    const before = world.twin.requests.length;
    const run = await down(['--env', 'demo', '--purge']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /error: down would delete resource group demo-rg and its 8 resources, and without a terminal it cannot ask/);
    assert.match(run.stderr, /→ pass --force .*aoai-lb down --force --purge --env demo/);
    assert.doesNotMatch(run.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.deepEqual(deletes(before), []);
    assert.equal((await resources.resourceGroups.checkExistence('demo-rg')).body, true);
    assert.ok((await envValues()).CONTAINER_APP_URL, 'the outputs stay');
  });

  it("refuses a group that does not carry the environment's tag, even with --force", async () => {
    await resources.resourceGroups.createOrUpdate('shared-rg', { location: 'eastus', tags: { owner: 'data-team' } });
    for (const args of [
      ['new', 'foreign'],
      ['set', 'AZURE_RESOURCE_GROUP', 'shared-rg', '--env', 'foreign'],
    ]) {
      const run = await runCli(['env', '--cwd', world.projectDir, ...args], world.env);
      assert.equal(run.code, 0, run.stderr);
    }
    const before = world.twin.requests.length;
    const untagged = await down(['--env', 'foreign', '--force', '--purge']);
    assert.equal(untagged.code, 1, untagged.stderr);
    assert.match(
      untagged.stderr,
      /error: resource group shared-rg was not created by aoai-lb for environment "foreign" \(it has no aoai-lb-env tag\); nothing was deleted\./,
    );
    assert.match(untagged.stderr, /→ down deletes only a group tagged aoai-lb-env=foreign/);

    // Another environment's group (tagged, but for demo) is not foreign's to delete either.
    const set = await runCli(['env', '--cwd', world.projectDir, 'set', 'AZURE_RESOURCE_GROUP', 'demo-rg', '--env', 'foreign'], world.env);
    assert.equal(set.code, 0, set.stderr);
    const otherEnv = await down(['--env', 'foreign', '--force']);
    assert.equal(otherEnv.code, 1, otherEnv.stderr);
    assert.match(otherEnv.stderr, /resource group demo-rg was not created by aoai-lb for environment "foreign" \(its tag is aoai-lb-env=demo\)/);

    assert.deepEqual(deletes(before), []);
    assert.equal((await resources.resourceGroups.checkExistence('shared-rg')).body, true);
    assert.equal((await resources.resourceGroups.checkExistence('demo-rg')).body, true);
  });

  it('on a terminal it shows what will be deleted and asks; any answer but y deletes nothing', async () => {
    const before = world.twin.requests.length;
    const run = await downOnTerminal(['--env', 'demo', '--purge'], 'n');
    assert.equal(run.code, 1, run.screen);
    assert.match(run.screen, /Resource group demo-rg \(eastus2\) of environment demo will be deleted, with everything in it:/);
    for (const name of accountNames) assert.match(run.screen, new RegExp(`Azure OpenAI account +${name} \\(`));
    assert.match(run.screen, /container app +ca-lb-/);
    assert.match(run.screen, /Its Azure OpenAI accounts will then be purged: they cannot be restored\./);
    assert.match(run.screen, /error: cancelled: nothing was deleted\./);
    assert.deepEqual(deletes(before), []);
    assert.equal((await resources.resourceGroups.checkExistence('demo-rg')).body, true);
  });

  it('down --purge --force deletes the group, purges its accounts, frees names and quota, and clears the outputs', async () => {
    const settings = await envValues();
    assert.equal(settings.OPENAI_CAPACITY, '30');

    const run = await down(['--env', 'demo', '--purge', '--force', '--json']);
    assert.equal(run.code, 0, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    const result = JSON.parse(run.stdout);
    assert.equal(result.group, 'deleted');
    assert.equal(result.resourceGroup, 'demo-rg');
    assert.deepEqual([...result.purged].sort(), accountNames);
    assert.deepEqual(result.resources.map((r: { kind: string }) => r.kind).sort(), [
      'Azure OpenAI account',
      'Azure OpenAI account',
      'Azure OpenAI account',
      'Container Apps environment',
      'Log Analytics workspace',
      'container app',
      'container registry',
      'managed identity',
    ]);
    assert.match(run.stderr, /✓ delete resource group demo-rg \(8 resources\)/);
    assert.match(run.stderr, new RegExp(`✓ purge soft-deleted OpenAI account ${accountNames[0]} \\(eastus\\)`));

    assert.equal((await resources.resourceGroups.checkExistence('demo-rg')).body, false);
    assert.deepEqual(await deletedNames(), [], 'no soft-deleted account is left');
    assert.deepEqual(await namesAvailable(), [true, true, true], 'the account names (custom subdomains) are free');
    for (const region of regions) {
      const usages = [];
      for await (const usage of cs.usages.list(region)) usages.push(usage);
      assert.equal(usages.find((u) => u.name?.value === chatUsage)?.currentValue, 0, `quota in ${region} is free`);
    }

    const values = await envValues();
    assert.deepEqual(
      outputs.filter((key) => key in values),
      [],
      'the outputs are cleared',
    );
    assert.deepEqual([...result.clearedOutputs].sort(), [...outputs].sort());
    for (const key of ['AZURE_SUBSCRIPTION_ID', 'AZURE_LOCATION', 'AZURE_RESOURCE_GROUP', 'OPENAI_CAPACITY', 'OPENAI_REGIONS', 'OPENAI_SKU']) {
      assert.equal(values[key], settings[key], `${key} is kept for the next up`);
    }
    // A new `up` of the same environment passes the quota preflight of its regions, full again.
    const again = await world.up(['--env', 'demo', '--dry-run']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`${accountNames[0]} \\(eastus\\)`));
  });

  it('accounts left soft-deleted by a down without --purge are purged by a later down --purge; a re-run then exits 0', async () => {
    // What `up` would create again under the same names; it succeeds only because the names and quota are free.
    const tags = { 'aoai-lb-env': 'demo', 'azd-env-name': 'demo' };
    await resources.resourceGroups.createOrUpdate('demo-rg', { location: 'eastus2', tags });
    await Promise.all(
      accountNames.map(async (name, i) => {
        await cs.accounts.beginCreateAndWait(
          'demo-rg',
          name,
          { location: regions[i], kind: 'OpenAI', sku: { name: 'S0' }, tags, properties: { customSubDomainName: name } },
          fastPoll,
        );
        await cs.deployments.beginCreateOrUpdateAndWait(
          'demo-rg',
          name,
          'chat',
          { sku: { name: 'Standard', capacity: 30 }, properties: { model: { format: 'OpenAI', name: 'gpt-5.4-mini', version: '2026-03-17' } } },
          fastPoll,
        );
      }),
    );

    // A down without --purge, stopped while ARM deletes the group; the next down waits for that delete. The delete
    // is held until the next down is waiting for it, so neither step races the delete's latency.
    const hold = world.twin.latencies.hold('ResourceGroups_Delete');
    let resumed: { code: number | null; stdout: string; stderr: string };
    let resuming: ReturnType<typeof startCli> | undefined;
    try {
      const stopped = startCli(['down', '--cwd', world.projectDir, '--env', 'demo', '--force'], world.env);
      try {
        await waitFor(
          'demo-rg being deleted',
          async () => (hold.held >= 1 && (await resources.resourceGroups.get('demo-rg')).properties?.provisioningState === 'Deleting') || undefined,
          30_000,
        ).catch((error: Error) => assert.fail(`${error.message}\nstderr so far:\n${stopped.stderr()}`));
      } finally {
        await stopped.stop('SIGKILL');
      }
      const next = startCli(['down', '--cwd', world.projectDir, '--env', 'demo', '--force'], world.env);
      resuming = next;
      await waitFor(
        'the next down to wait for the earlier delete',
        () => {
          if (next.child.exitCode !== null) assert.fail(`down exited (${next.child.exitCode}) before waiting: ${next.stderr()}`);
          return /^… resource group demo-rg, being deleted by an earlier run/m.test(next.stderr());
        },
        60_000,
      ).catch((error: Error) => assert.fail(`${error.message}\nstderr so far:\n${next.stderr()}`));
      hold.release();
      resumed = { code: await next.exited, stdout: next.stdout(), stderr: next.stderr() };
    } finally {
      hold.release();
      await resuming?.stop('SIGKILL');
    }
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /✓ resource group demo-rg, being deleted by an earlier run: gone/);
    assert.match(resumed.stdout, /^Resource group demo-rg is deleted \(an earlier run had started it\)\./);
    assert.deepEqual(await deletedNames(), accountNames, 'without --purge the accounts stay soft-deleted');
    assert.deepEqual(await namesAvailable(), [false, false, false]);
    const short = await world.up(['--env', 'demo', '--dry-run']);
    assert.notEqual(short.code, 0, 'soft-deleted deployments still hold the quota');

    const purge = await down(['--env', 'demo', '--purge', '--force']);
    assert.equal(purge.code, 0, purge.stderr);
    assert.match(purge.stdout, /^Resource group demo-rg does not exist: nothing to delete\./m);
    assert.match(purge.stdout, new RegExp(`^Purged ${accountNames.join(', ')}`, 'm'));
    assert.deepEqual(await deletedNames(), []);
    assert.deepEqual(await namesAvailable(), [true, true, true]);

    const before = world.twin.requests.length;
    const rerun = await down(['--env', 'demo', '--purge', '--force', '--json']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(
      { ...JSON.parse(rerun.stdout), seconds: 0 },
      {
        environment: 'demo',
        subscriptionId: world.twin.subscriptionId,
        resourceGroup: 'demo-rg',
        group: 'absent',
        resources: [],
        purged: [],
        clearedOutputs: [],
        seconds: 0,
      },
    );
    assert.deepEqual(deletes(before), []);
  });
});
