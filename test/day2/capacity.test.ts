// `aoai-lb capacity` as a user runs it (the built CLI, a child process) against the Azure twin, after one
// `up` at 30K TPM: bad input is a usage error; a short region changes nothing and shows the free-TPM
// table; a PATCH failing part-way names what changed and what did not, and a re-run finishes; a load of
// 40K-token requests that every account refused at 30K passes through the balancer at 50K (the twin
// pushes the new TPM to each account's simulator); a following `up` changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { APIError, AzureOpenAI } from 'openai';
import { Agent, type Dispatcher } from 'undici';
import { sdkOptions, staticCredential } from '../twin/sdk.js';
import { runCli } from '../helpers/cli-process.js';
import { fetchVia, startUpWorld, twinProxy, type UpWorld } from '../helpers/up-world.js';

const regions = ['eastus', 'swedencentral', 'westus3'];
/** More than 30K TPM and less than 50K: the simulator charges max_tokens, and refuses a request larger than the whole TPM. */
const bigRequest = { model: 'chat', messages: [{ role: 'user' as const, content: 'Hello' }], max_tokens: 40_000 };

interface UpJson {
  containerAppUrl: string;
  clientKey: string;
  changed: boolean;
  accounts: Array<{ name: string; region: string; endpoint: string }>;
}

describe('aoai-lb capacity against the Azure twin', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let up: UpJson;
  let cs: CognitiveServicesManagementClient;
  const capacity = (args: string[]) => runCli(['capacity', ...args, '--cwd', world.projectDir], world.env);
  const writesSince = (from: number) => world.twin.requests.slice(from).filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  const patchesSince = (from: number) => writesSince(from).filter((r) => r.method === 'PATCH' && /\/deployments\//.test(r.path));

  /** Every deployment as ARM shows it: "account/deployment" → capacity and state. */
  async function deployments(): Promise<Map<string, { capacity: number; state: string }>> {
    const found = new Map<string, { capacity: number; state: string }>();
    for (const account of up.accounts) {
      for await (const d of cs.deployments.list('demo-rg', account.name)) {
        found.set(`${account.name}/${d.name}`, { capacity: d.sku?.capacity ?? 0, state: d.properties?.provisioningState ?? '' });
      }
    }
    return found;
  }

  /** The deployments as ARM shows them, for assertion messages. */
  const show = (found: Map<string, { capacity: number; state: string }>): string => [...found].map(([id, d]) => `${id}: ${d.capacity}K ${d.state}`).join(', ');
  /** Requests since `from`, for assertion messages: "METHOD path → status". */
  const showRequests = (records: Array<{ method: string; path: string; status: number; account?: string }>): string =>
    records.map((r) => `${r.account ? `${r.account} ` : ''}${r.method} ${r.path} → ${r.status}`).join('\n') || '(none)';

  /** Each account's simulator: deployment → TPM it enforces now. */
  async function simulatorTpm(): Promise<Map<string, number>> {
    const tpm = new Map<string, number>();
    for (const plane of world.twin.dataPlane!.planes.values()) {
      await world.twin.dataPlane!.settled(plane.account);
      const stats = (await (await fetch(`${plane.sim.url}/__sim/stats`)).json()) as { deployments: Array<{ name: string; tpm: number }> };
      // The simulator also holds default deployments ARM never created: only ours count.
      for (const d of stats.deployments.filter((d) => d.name === 'chat' || d.name === 'embedding')) tpm.set(`${plane.account.name}/${d.name}`, d.tpm);
    }
    return tpm;
  }

  /** A chat client straight to one account's data plane, as the balancer's managed identity. */
  async function accountClient(endpoint: string, dispatcher: Dispatcher): Promise<AzureOpenAI> {
    const values = JSON.parse((await runCli(['env', 'get-values', '--json', '--cwd', world.projectDir], world.env)).stdout) as Record<string, string>;
    const clientId = values.AZURE_MANAGED_IDENTITY_CLIENT_ID!;
    const identity = world.twin.identityEndpointFor(clientId);
    const tokenUrl = `${identity.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent('https://cognitiveservices.azure.com')}&client_id=${clientId}`;
    const token = ((await (await fetch(tokenUrl, { headers: { 'X-IDENTITY-HEADER': identity.IDENTITY_HEADER } })).json()) as { access_token: string })
      .access_token;
    return new AzureOpenAI({
      endpoint,
      azureADTokenProvider: async () => token,
      apiVersion: '2024-10-21',
      deployment: 'chat',
      maxRetries: 0,
      fetch: fetchVia(dispatcher),
    });
  }

  before(async () => {
    world = await startUpWorld();
    const run = await world.up(['--env', 'demo', '--regions', regions.join(','), '--location', 'eastus2', '--capacity', '30', '--json', '--show-key']);
    assert.equal(run.code, 0, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    up = JSON.parse(run.stdout) as UpJson;
    cs = new CognitiveServicesManagementClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
  });
  after(async () => world?.close());

  it('refuses bad input as a usage error (exit 2) before touching Azure', async () => {
    const from = world.twin.requests.length;
    for (const [args, message] of [
      [['0'], /capacity "0" is not a whole number of thousands of tokens per minute from 1 to 10000/],
      [['abc'], /capacity "abc" is not a whole number/],
      [['50', '--deployment', 'foo'], /argument 'foo' is invalid\. Allowed choices are chat, embedding, all/],
      [[], /missing required argument 'K-TPM'/],
    ] as const) {
      const run = await capacity([...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(world.twin.requests.length, from, 'no request reached ARM');
  });

  it('at 30K TPM every account refuses a 40K-token request', async () => {
    const dispatcher = new Agent({ connect: { ca: world.twin.ca } });
    try {
      for (const account of up.accounts) {
        const client = await accountClient(account.endpoint, dispatcher);
        await assert.rejects(
          client.chat.completions.create(bigRequest),
          (error: unknown) => {
            assert.ok(error instanceof APIError, `${account.name}: ${String(error)}`);
            assert.equal(error.status, 429, `${account.name} answered ${error.status}: ${error.message}`);
            return true;
          },
          `${account.name} took a 40K-token request at 30K TPM`,
        );
      }
    } finally {
      await dispatcher.close();
    }
  });

  it('changes nothing when a region is short, and shows the free TPM per region', async () => {
    // swedencentral: 30K of a 40K limit is ours, so 40K is the most its account can hold.
    world.twin.catalog.setLimit('swedencentral', 'OpenAI.Standard.gpt-5.4-mini', 40);
    try {
      const from = world.twin.requests.length;
      const run = await capacity(['50']);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        /not enough Azure OpenAI quota for 50K TPM per deployment: swedencentral gpt-5\.4-mini \(Standard\): needs 50K, 40K available \(10K free \+ 30K this environment holds\)\. Nothing was changed\./,
      );
      assert.match(run.stderr, /region\s+gpt-5\.4-mini free\s+text-embedding-3-large free/);
      assert.match(run.stderr, /^\s+swedencentral\s+10K\s+270K$/m);
      assert.match(run.stderr, /^\s+eastus\s+270K\s+270K$/m);
      assert.match(run.stderr, /aoai-lb capacity 40 --env demo/);
      assert.deepEqual(writesSince(from), []);
      const arm = await deployments();
      assert.ok(
        [...arm.values()].every((d) => d.capacity === 30),
        `every deployment stays at 30K: ${show(arm)}`,
      );
    } finally {
      world.twin.catalog.setLimit('swedencentral', 'OpenAI.Standard.gpt-5.4-mini', 300);
    }
  });

  it('a PATCH failing part-way: the error lists what changed and what did not, and a re-run finishes the job', async () => {
    world.twin.faults.inject('Deployments_Update', { kind: 'lroFailed', code: 'InternalServerError', message: 'An internal error occurred.' });
    const from = world.twin.requests.length;
    const failed = await capacity(['50']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      failed.stderr,
      /the capacity change to 50K TPM stopped part-way: deployment \w+ on openai\d-\w+ failed: InternalServerError: An internal error occurred\./,
    );
    const listed = (label: string) =>
      [...(new RegExp(`^\\s+${label}: (.*)$`, 'm').exec(failed.stderr)?.[1] ?? '').matchAll(/(\w+) on (openai\d-\w+)/g)].map((m) => `${m[2]}/${m[1]}`);
    const changed = listed('changed to 50K');
    const notChanged = listed('not changed');
    assert.ok(notChanged.length >= 1, failed.stderr);
    assert.equal(changed.length + notChanged.length, 6, failed.stderr);
    const arm = await deployments();
    for (const id of changed) assert.deepEqual(arm.get(id), { capacity: 50, state: 'Succeeded' }, `${id} is listed as changed; ARM: ${show(arm)}`);
    for (const id of notChanged) {
      assert.ok(arm.get(id)!.capacity === 30 || arm.get(id)!.state === 'Failed', `${id} is listed as not changed; ARM: ${show(arm)}\n${failed.stderr}`);
    }
    assert.equal(
      patchesSince(from).length,
      changed.length + 1,
      `one PATCH per changed deployment plus the failed one; changed: ${changed.join(', ')}; PATCHes:\n${showRequests(patchesSince(from))}`,
    );
    assert.match(failed.stderr, /run `aoai-lb capacity 50 --env demo` again/);
    const values = await runCli(['env', 'get-values', '--cwd', world.projectDir], world.env);
    assert.match(values.stdout, /^OPENAI_CAPACITY=30$/m, 'not saved while deployments differ');

    const before = world.twin.requests.length;
    const rerun = await capacity(['50', '--json']);
    assert.equal(rerun.code, 0, rerun.stderr);
    const result = JSON.parse(rerun.stdout);
    assert.equal(result.changed, true);
    assert.equal(result.saved, true);
    assert.deepEqual(result.aggregate, [
      { deployment: 'chat', perAccount: [50, 50, 50], totalK: 150 },
      { deployment: 'embedding', perAccount: [50, 50, 50], totalK: 150 },
    ]);
    const patched = patchesSince(before).map((r) =>
      r.path
        .match(/accounts\/([^/]+)\/deployments\/([^/?]+)/)!
        .slice(1)
        .join('/'),
    );
    assert.deepEqual(patched.sort(), [...notChanged].sort(), `the re-run changes exactly the deployments that were not changed:\n${rerun.stderr}`);
    const final = await deployments();
    assert.ok(
      [...final.values()].every((d) => d.capacity === 50 && d.state === 'Succeeded'),
      `every deployment at 50K, Succeeded: ${show(final)}`,
    );
    assert.match((await runCli(['env', 'get-values', '--cwd', world.projectDir], world.env)).stdout, /^OPENAI_CAPACITY=50$/m);
  });

  it('at 50K TPM the same load passes through the balancer, and every simulator enforces 50K', async () => {
    const tpm = await simulatorTpm();
    assert.equal(tpm.size, 6, `the simulators' deployments: ${JSON.stringify([...tpm])}`);
    for (const [id, value] of tpm) assert.equal(value, 50_000, id);
    const dispatcher = twinProxy(world);
    try {
      const client = new AzureOpenAI({
        endpoint: up.containerAppUrl,
        apiKey: up.clientKey,
        apiVersion: '2024-10-21',
        deployment: 'chat',
        maxRetries: 0,
        fetch: fetchVia(dispatcher),
      });
      const frontDoor = world.twin.dataPlane!.frontDoor;
      const from = frontDoor.requests.length;
      // On a failure: what each account answered the balancer, and what the balancer logged.
      const story = async (): Promise<string> => {
        const values = JSON.parse((await runCli(['env', 'get-values', '--json', '--cwd', world.projectDir], world.env)).stdout) as Record<string, string>;
        const log = world.twin.apps!.output(values.CONTAINER_APP_NAME!).slice(-30);
        return `the accounts answered:\n${showRequests(frontDoor.requests.slice(from))}\nthe balancer's last log lines:\n${log.join('\n')}`;
      };
      for (let i = 0; i < up.accounts.length; i++) {
        const completion = await client.chat.completions
          .create(bigRequest)
          .catch(async (error: Error) => assert.fail(`request ${i + 1} failed: ${error.message}\n${await story()}`));
        assert.ok(completion.choices[0]?.message.content, `request ${i + 1} answered`);
      }
      const served = frontDoor.requests.slice(from).filter((r) => r.status === 200);
      assert.equal(new Set(served.map((r) => r.account)).size, 3, `each account took one 40K-token request; ${await story()}`);
    } finally {
      await dispatcher.close();
    }
  });

  it('a second capacity 50 changes nothing, and a following up reports changed: false', async () => {
    const from = world.twin.requests.length;
    const again = await capacity(['50']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Every deployment is at 50K TPM on each of 3 accounts \(0 changed, 6 already there\)/);
    assert.match(again.stdout, /chat\s+3 × 50K = 150K TPM/);
    assert.match(again.stdout, /OPENAI_CAPACITY=50 is saved in environment demo/);
    const run = await world.up(['--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as UpJson).changed, false, run.stderr);
    assert.deepEqual(
      writesSince(from).filter((r) => !/listSecrets|getAuthtoken|listBuildSourceUploadUrl|listLogSasUrl/i.test(r.path)),
      [],
      `up wrote to ARM:\n${run.stderr}`,
    );
  });

  it('--deployment embedding changes only the embedding deployments and keeps OPENAI_CAPACITY, with a warning', async () => {
    const from = world.twin.requests.length;
    const run = await capacity(['40', '--deployment', 'embedding']);
    assert.equal(run.code, 0, run.stderr);
    const patched = patchesSince(from).map((r) => decodeURIComponent(r.path.match(/deployments\/([^/?]+)/)![1]!));
    assert.deepEqual(patched, ['embedding', 'embedding', 'embedding'], `PATCHes:\n${showRequests(patchesSince(from))}\n${run.stderr}`);
    assert.match(run.stdout, /embedding\s+3 × 40K = 120K TPM/);
    assert.match(run.stdout, /OPENAI_CAPACITY stays 50/);
    assert.match(run.stderr, /A following `aoai-lb up` sets every deployment to OPENAI_CAPACITY/);
    assert.match((await runCli(['env', 'get-values', '--cwd', world.projectDir], world.env)).stdout, /^OPENAI_CAPACITY=50$/m);
  });
});
