// Issue 3 §4 and §6, as a user meets them: every error `aoai-lb up` knows gives its one-line message
// (`error: …`) and its fix (`  → …`) on stderr, a non-zero exit code, no stack trace and no token; the
// quota preflight stops before anything exists. The built CLI runs as a child process against the Azure
// twin. No case here builds the balancer image: each fails before the build, or deploys a prebuilt
// --image, or is a --dry-run (the preflight's reads only).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { ResourceManagementClient } from '@azure/arm-resources';
import { createTwinCa, type TwinCa, type TwinOptions } from '../twin/index.js';
import { fastPoll, sdkOptions, staticCredential } from '../twin/sdk.js';
import { fakeAzureCli, type FakeAzureCliOptions } from '../helpers/fake-azure-cli.js';
import { startUpWorld, type CliResult, type UpWorld } from '../helpers/up-world.js';

/** Requests that change something in ARM (the POSTs that only read secrets or URLs excepted). */
const writes = (world: UpWorld, from = 0) =>
  world.twin.requests
    .slice(from)
    .filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/listSecrets|getAuthtoken|listBuildSourceUploadUrl|listLogSasUrl/i.test(r.path));

/** A frame of a printed stack trace: "    at fn (file:line:col)" or "    at file:line:col". */
const stackFrame = /^\s+at .*:\d+:\d+\)?$/m;

interface Expected {
  exitCode?: number;
  /** The `error: ` line (its first line, for messages that go on with a table). */
  message: RegExp;
  /** The `  → ` line. */
  fix: RegExp;
}

/** Asserts the CLI's error contract and returns the error's full text (message lines up to the fix). */
function assertFails(world: UpWorld, run: CliResult, expected: Expected): string {
  const context = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.equal(run.code, expected.exitCode ?? 1, context);
  const lines = run.stderr.split('\n');
  const errorLines = lines.filter((line) => line.startsWith('error: '));
  assert.equal(errorLines.length, 1, `one error line\n${context}`);
  assert.match(errorLines[0]!, expected.message, context);
  const fixLines = lines.filter((line) => line.startsWith('  → '));
  assert.equal(fixLines.length, 1, `one fix line\n${context}`);
  assert.match(fixLines[0]!, expected.fix, context);
  assert.ok(lines.indexOf(fixLines[0]!) > lines.indexOf(errorLines[0]!), `the fix follows the error\n${context}`);
  const output = run.stdout + run.stderr;
  assert.doesNotMatch(output, stackFrame, `no stack trace\n${context}`);
  assert.doesNotMatch(output, /failed unexpectedly/, context);
  assert.ok(!output.includes(world.cli.token), `the access token is not printed\n${context}`);
  assert.doesNotMatch(output, /Bearer\s+\S/i, `no authorization header is printed\n${context}`);
  return lines.slice(lines.indexOf(errorLines[0]!), lines.indexOf(fixLines[0]!)).join('\n');
}

function assertNothingCreated(world: UpWorld, from = 0): void {
  assert.deepEqual(writes(world, from), [], 'no write request reached ARM');
  assert.equal(world.twin.state.accounts.size, 0, 'no OpenAI account exists');
  assert.equal(existsSync(join(world.projectDir, '.azure')), false, 'no azd environment was written');
}

describe('aoai-lb up: the errors of issue 3 §4, each with its message and fix', { timeout: 3 * 60_000 }, () => {
  let ca: TwinCa;
  const worlds: UpWorld[] = [];
  /** A world of its own per case (faults, catalog and login are per twin), all sharing one CA. */
  const world = async (twin: TwinOptions = {}, login: FakeAzureCliOptions = {}): Promise<UpWorld> => {
    const started = await startUpWorld({ twin: { runApps: false, ca, latency: 0, ...twin }, login });
    worlds.push(started);
    return started;
  };

  before(async () => {
    ca = await createTwinCa();
  });
  after(async () => {
    await Promise.all(worlds.map((w) => w.close()));
    await ca?.dispose();
  });

  it('not signed in (az and azd logged out, or not installed): says so and suggests az login', async () => {
    const w = await world({}, { az: 'logged-out', azd: 'logged-out' });
    const run = await w.up(['--env', 'nologin', '--regions', 'eastus', '--dry-run']);
    assertFails(w, run, { message: /^error: Not signed in to Azure/, fix: /`az login`/ });
    assert.ok(
      w.cli.calls().some((call) => call.startsWith('az account get-access-token')),
      'az was asked',
    );
    assert.ok(
      w.cli.calls().some((call) => call.startsWith('azd auth token')),
      'azd was asked',
    );

    const missing = fakeAzureCli({ az: 'missing', azd: 'missing' });
    try {
      const none = await w.up(['--env', 'nologin', '--regions', 'eastus', '--dry-run'], missing.env);
      assertFails(w, none, { message: /^error: Not signed in to Azure/, fix: /`az login`/ });
    } finally {
      missing.cleanup();
    }
    assert.deepEqual(w.twin.requests, [], 'nothing reached ARM without a token');
    assert.equal(existsSync(join(w.projectDir, '.azure')), false, 'no azd environment was written');
  });

  it('--subscription not-a-guid: names the value and the flag, exit code 2', async () => {
    const w = await world();
    const run = await w.up(['--env', 'badsub', '--subscription', 'not-a-guid', '--regions', 'eastus']);
    assertFails(w, run, { exitCode: 2, message: /^error: "not-a-guid" from --subscription is not a subscription id/, fix: /subscription id, not its name/ });
    assertNothingCreated(w);
  });

  let quotaRun: CliResult | undefined;
  it('the quota preflight stops before anything exists, with the region × free TPM table and a fixing flag', async () => {
    const w = await world();
    w.twin.catalog.setLimit('eastus', 'OpenAI.Standard.gpt-5.4-mini', 20);
    const run = await w.up(['--env', 'quota', '--regions', 'eastus,westus3,swedencentral', '--capacity', '30']);
    quotaRun = run;
    const text = assertFails(w, run, {
      message: /^error: not enough Azure OpenAI quota \(Standard\): eastus OpenAI\.Standard\.gpt-5\.4-mini: needs 30K, 20K free\.$/,
      fix: /^ {2}→ use --regions [a-z0-9,]+, --capacity \d+, or request more quota at https:\/\/aka\.ms\/oai\/quotaincrease$/,
    });
    // The --regions it suggests: three regions with 30K free for both models, so not eastus.
    const suggested = /--regions ([a-z0-9,]+),/.exec(run.stderr)![1]!.split(',');
    assert.equal(suggested.length, 3, run.stderr);
    assert.ok(!suggested.includes('eastus'), run.stderr);
    // The table: the chosen regions first, then others with their free TPM per model.
    const rows = text.split('\n').slice(1);
    assert.match(rows[0]!, /^ {2}region +gpt-5\.4-mini free +text-embedding-3-large free$/, text);
    assert.deepEqual(
      rows
        .slice(1, 4)
        .map((row) => row.trim().split(/ +/))
        .sort(),
      [
        ['eastus', '20K', '300K'],
        ['swedencentral', '300K', '300K'],
        ['westus3', '300K', '300K'],
      ],
      text,
    );
    assert.ok(rows.length > 4, `other regions are listed too\n${text}`);
    assertNothingCreated(w);
  });

  it('the --capacity the quota error suggests fits the chosen regions', () => {
    assert.ok(quotaRun, 'the quota case ran');
    const fix = quotaRun.stderr.split('\n').find((line) => line.startsWith('  → '));
    // eastus has 20K free: --capacity 20 fits all three chosen regions; anything above 20 does not.
    assert.match(fix ?? '', /--capacity 20\b/, quotaRun.stderr);
  });

  it('a region that does not offer the chat model with Standard: names it, suggests other regions or --sku GlobalStandard', async () => {
    const w = await world();
    w.twin.catalog.withdraw('westus3', 'gpt-5.4-mini', 'Standard');
    const run = await w.up(['--env', 'offer', '--regions', 'eastus,westus3']);
    assertFails(w, run, {
      message: /^error: the region does not offer the model with this SKU: gpt-5\.4-mini 2026-03-17 \(Standard\) in westus3\.$/,
      fix: /--regions auto.*--sku GlobalStandard/,
    });
    assertNothingCreated(w);
  });

  it('a soft-deleted account holding the name (FlagMustBeSetForRestore): suggests down --purge --env', async () => {
    const w = await world();
    const args = ['--env', 'restore', '--regions', 'eastus', '--location', 'eastus', '--image', 'someregistry.azurecr.io/x:1'];
    const planned = await plannedAccount(w, args);
    const options = sdkOptions(w.twin);
    await new ResourceManagementClient(staticCredential, w.twin.subscriptionId, options).resourceGroups.createOrUpdate('restore-rg', { location: 'eastus' });
    const cs = new CognitiveServicesManagementClient(staticCredential, w.twin.subscriptionId, options);
    await cs.accounts.beginCreateAndWait(
      'restore-rg',
      planned.name,
      { location: 'eastus', kind: 'OpenAI', sku: { name: 'S0' }, properties: { customSubDomainName: planned.customSubDomainName } },
      fastPoll,
    );
    await cs.accounts.beginDeleteAndWait('restore-rg', planned.name, fastPoll);

    const run = await w.up(args);
    assertFails(w, run, {
      message: new RegExp(`^error: a soft-deleted Azure OpenAI account still holds this name: .*${planned.name}.*soft-deleted`),
      fix: /`aoai-lb down --purge --env restore`/,
    });
    assert.equal(w.twin.state.accounts.size, 0, 'the soft-deleted account was not restored');
    assert.equal(w.twin.state.deletedAccounts.size, 1, 'and it is still soft-deleted');
  });

  it('the subdomain taken by an account in another resource group (CustomDomainInUse): names it, suggests purge or another environment', async () => {
    const w = await world();
    const args = ['--env', 'domain', '--regions', 'eastus', '--location', 'eastus', '--image', 'someregistry.azurecr.io/x:1'];
    const planned = await plannedAccount(w, args);
    const options = sdkOptions(w.twin);
    await new ResourceManagementClient(staticCredential, w.twin.subscriptionId, options).resourceGroups.createOrUpdate('elsewhere-rg', { location: 'eastus' });
    const cs = new CognitiveServicesManagementClient(staticCredential, w.twin.subscriptionId, options);
    await cs.accounts.beginCreateAndWait(
      'elsewhere-rg',
      'squatter',
      { location: 'eastus', kind: 'OpenAI', sku: { name: 'S0' }, properties: { customSubDomainName: planned.customSubDomainName } },
      fastPoll,
    );

    const run = await w.up(args);
    assertFails(w, run, {
      message: new RegExp(`^error: an Azure OpenAI account name is taken, possibly by a soft-deleted account: .*'${planned.customSubDomainName}'`),
      fix: /`aoai-lb down --purge --env domain`.*another environment name/,
    });
    const ours = [...w.twin.state.accounts.values()].filter((a) => a.resourceGroup.toLowerCase() === 'domain-rg');
    assert.deepEqual(ours, [], "no account was created in the environment's group");
  });

  it('a subscription without ACR Tasks (TasksOperationsNotAllowed): suggests --image', async () => {
    const w = await world({ acrTasksNotAllowed: true });
    const run = await w.up(['--env', 'tasks', '--regions', 'eastus', '--location', 'eastus']);
    assertFails(w, run, {
      message: /^error: this subscription cannot run ACR Tasks remote builds/,
      fix: /`aoai-lb up --image <registry>\/<repository>:<tag>`/,
    });
    assert.ok(
      w.twin.requests.some((r) => r.operationId === 'Registries_ScheduleRun' && r.status === 400),
      'ACR refused the run',
    );
  });

  it('a long-running operation that ends Failed names the resource and the code', async () => {
    const w = await world();
    w.twin.faults.inject('Accounts_Create', { kind: 'lroFailed', code: 'InternalServerError', message: 'boom' });
    const run = await w.up(['--env', 'lro', '--regions', 'eastus', '--location', 'eastus', '--image', 'someregistry.azurecr.io/x:1']);
    assertFails(w, run, {
      message: /^error: OpenAI account openai1-[a-z0-9]+ \(eastus\) failed: InternalServerError: boom$/,
      fix: /run the same command again: it resumes where it stopped/,
    });
    assert.equal(w.twin.faults.fired.get('Accounts_Create'), 1);
  });

  it('ARM throttling (429) and a transient 500 are retried: the dry run still succeeds', async () => {
    const w = await world();
    w.twin.faults.inject('Accounts_Get', { kind: 'throttle', times: 2, retryAfterSeconds: 0 });
    w.twin.faults.inject('Usages_List', { kind: 'throttle', times: 1, retryAfterSeconds: 0 });
    w.twin.faults.inject('Models_List', { kind: 'serverError', times: 1 });
    const run = await w.up(['--env', 'retry', '--regions', 'eastus,westus3,swedencentral', '--dry-run']);
    assert.equal(run.code, 0, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stdout, /Quota preflight passed/);
    assert.equal(w.twin.faults.fired.get('Accounts_Get'), 2);
    assert.equal(w.twin.faults.fired.get('Usages_List'), 1);
    assert.equal(w.twin.faults.fired.get('Models_List'), 1);
    assert.ok(w.twin.requests.some((r) => r.status === 429) && w.twin.requests.some((r) => r.status === 500), 'the twin answered 429 and 500');
    assertNothingCreated(w);
  });

  it('a 500 that outlasts the retries is reported as a failed Azure call, not as a model the region does not offer', async () => {
    const w = await world();
    // The first request and the SDK's three retries.
    w.twin.faults.inject('Models_List', { kind: 'serverError', times: 4 });
    const run = await w.up(['--env', 'outage', '--regions', 'eastus', '--dry-run']);
    assert.equal(w.twin.faults.fired.get('Models_List'), 4, 'every retry met the 500');
    assert.doesNotMatch(run.stderr, /does not offer/, run.stderr);
    assertFails(w, run, { message: /InternalServerError/, fix: /again/ });
  });
});

/** The plan's first account, from a dry run with the same flags. */
async function plannedAccount(world: UpWorld, args: string[]): Promise<{ name: string; customSubDomainName: string }> {
  const from = world.twin.requests.length;
  const run = await world.up([...args, '--dry-run', '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(writes(world, from), []);
  const account = (JSON.parse(run.stdout) as { plan: { accounts: Array<{ name: string; customSubDomainName: string }> } }).plan.accounts[0]!;
  return account;
}
