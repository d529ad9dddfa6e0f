// `aoai-lb status` as a user runs it (the built CLI, a child process) after one `up` against the twin:
// the deployment as ARM has it and the balancer's live state; after one account's simulator answered
// 429s, its backend shows cooling with the 429s absorbed and failovers counted; --json parses with those
// fields; --watch prints a block per interval and Ctrl-C exits 0. Also the rendering, as unit tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import { fetch as undiciFetch } from 'undici';
import type { StatusSnapshot } from '../../src/ops/status/snapshot.js';
import { renderStatus } from '../../src/ui/status-view.js';
import { runCli, startCli } from '../helpers/cli-process.js';
import { fetchVia, startUpWorld, twinProxy, type UpWorld } from '../helpers/up-world.js';
import { waitFor } from '../helpers/wait.js';

const deployment = (name: string) => ({
  deployment: name,
  state: 'healthy' as const,
  cooldownRemainingMs: 0,
  remainingTokens: 29_000,
  remainingRequests: 29,
  requests: 4,
  throttled: 0,
  errors: 0,
  failovers: 0,
  promptTokens: 10,
  completionTokens: 20,
});

const sample: StatusSnapshot = {
  time: '2026-01-01T00:00:00.000Z',
  environment: 'demo',
  subscriptionId: 'sub',
  resourceGroup: 'demo-rg',
  url: 'https://ca-lb-x.eastus2.azurecontainerapps.io',
  app: { name: 'ca-lb-x', latestRevision: 'ca-lb-x--r1', replicas: [{ name: 'ca-lb-x--r1-a-b', revision: 'ca-lb-x--r1', runningState: 'Running' }] },
  accounts: [
    {
      name: 'openai1-x',
      region: 'eastus',
      endpoint: 'https://openai1-x.openai.azure.com/',
      provisioningState: 'Succeeded',
      deployments: [
        { name: 'chat', model: 'gpt-5.4-mini:2026-03-17', sku: 'Standard', capacity: 30, provisioningState: 'Succeeded' },
        { name: 'embedding', model: '', sku: '', capacity: 0, provisioningState: 'not found' },
      ],
    },
  ],
  balancer: {
    reachable: true,
    uptimeSeconds: 75,
    responses: { '200': 4 },
    backends: [
      {
        id: '1',
        url: 'https://openai1-x.openai.azure.com/',
        account: 'openai1-x',
        priority: 1,
        authentication: 'managed-identity',
        deploymentName: null,
        state: 'healthy',
        brokenRemainingMs: 0,
        deployments: [{ ...deployment('chat'), state: 'cooling', cooldownRemainingMs: 41_200, throttled: 3, failovers: 3 }],
      },
      {
        id: '2',
        url: 'https://openai2-x.openai.azure.com/',
        priority: 2,
        authentication: 'managed-identity',
        deploymentName: null,
        state: 'healthy',
        brokenRemainingMs: 0,
        deployments: [],
      },
    ],
  },
};

describe('status: rendering (pure)', () => {
  it('shows the deployment, each backend by account with its state, and what is missing', () => {
    const text = renderStatus(sample);
    assert.match(text, /resource group {2}demo-rg {2}\(subscription sub\)/);
    assert.match(text, /container app {3}ca-lb-x {2}revision ca-lb-x--r1 {2}replicas: 1 running/);
    assert.match(text, /openai1-x +eastus +chat +gpt-5\.4-mini:2026-03-17 +Standard +30K TPM/);
    assert.match(text, /embedding +not found/);
    assert.match(text, /Balancer {2}up 1m 15s {2}responses: 200×4/);
    assert.match(text, /\n {2}1 +openai1-x +1 +chat +cooling 42 s +29\.0k +4 +3 +3\n/);
    assert.match(text, /\n {2}2 +https:\/\/openai2-x\.openai\.azure\.com\/ +2 +\(no traffic yet\) +healthy/);
    assert.ok(!text.includes('\u001b['), 'no colour unless asked');
    assert.ok(renderStatus(sample, { color: true }).includes('\u001b[33mcooling 42 s'), 'cooling in yellow');
    assert.match(renderStatus({ ...sample, balancer: { reachable: false, error: 'HTTP 401' } }), /Balancer {2}not reachable: HTTP 401$/);
  });
});

describe('aoai-lb status against the twin', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let url: string;
  let clientKey: string;
  const status = (args: string[]) => runCli(['status', '--cwd', world.projectDir, ...args], world.env);

  before(async () => {
    world = await startUpWorld();
    const up = await world.up(['--env', 'demo', '--regions', 'eastus,swedencentral', '--location', 'eastus2', '--json', '--show-key']);
    assert.equal(up.code, 0, `stdout: ${up.stdout}\nstderr: ${up.stderr}`);
    ({ containerAppUrl: url, clientKey } = JSON.parse(up.stdout) as { containerAppUrl: string; clientKey: string });
  });
  after(async () => world?.close());

  async function chat(): Promise<void> {
    const dispatcher = twinProxy(world);
    try {
      const client = new AzureOpenAI({
        endpoint: url,
        apiKey: clientKey,
        apiVersion: '2024-10-21',
        deployment: 'chat',
        maxRetries: 0,
        fetch: fetchVia(dispatcher),
      });
      await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }] });
    } finally {
      await dispatcher.close();
    }
  }

  /** The first account's simulator (its data plane in the twin) and its /__sim control endpoint. */
  function firstAccountSimulator(): { name: string; url: string } {
    const account = [...world.twin.state.accounts.values()].find((a) => a.name.startsWith('openai1-'))!;
    return { name: account.name, url: world.twin.dataPlane!.plane(account)!.sim.url };
  }

  it('shows the deployment and every backend healthy before any traffic (--json)', async () => {
    const run = await status(['--json']);
    assert.equal(run.code, 0, run.stderr);
    const snapshot = JSON.parse(run.stdout) as StatusSnapshot;
    assert.equal(snapshot.environment, 'demo');
    assert.equal(snapshot.resourceGroup, 'demo-rg');
    assert.equal(snapshot.subscriptionId, world.twin.subscriptionId);
    assert.equal(snapshot.url, url);
    assert.deepEqual(
      snapshot.accounts.map((a) => a.region),
      ['eastus', 'swedencentral'],
    );
    for (const account of snapshot.accounts) {
      assert.deepEqual(
        account.deployments.map((d) => `${d.name} ${d.model} ${d.sku} ${d.capacity}`),
        ['chat gpt-5.4-mini:2026-03-17 Standard 30', 'embedding text-embedding-3-large:1 Standard 30'],
      );
    }
    assert.ok(
      snapshot.app.replicas.some((r) => r.runningState === 'Running'),
      JSON.stringify(snapshot.app),
    );
    assert.ok(snapshot.balancer.reachable);
    assert.deepEqual(
      snapshot.balancer.backends.map((b) => [b.id, b.account, b.state]),
      [
        ['1', snapshot.accounts[0]!.name, 'healthy'],
        ['2', snapshot.accounts[1]!.name, 'healthy'],
      ],
    );
    assert.ok(!run.stdout.includes(clientKey), 'the client key is not printed');
  });

  it('shows a backend cooling after its account answered 429s, with the 429s absorbed and the failovers', async () => {
    const simulator = firstAccountSimulator();
    const fault = await undiciFetch(`${simulator.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: '429', count: 1000, deployment: 'chat', retryAfterMs: 60_000 }),
    });
    assert.ok(fault.ok, `fault: HTTP ${fault.status}`);
    await fault.arrayBuffer();
    // Equal priorities: keep chatting (every request succeeds through the other account) until one reached the first.
    await waitFor(
      'a 429 from the first account',
      async () => {
        await chat();
        const stats = (await (await undiciFetch(`${simulator.url}/__sim/stats`)).json()) as { deployments: Array<{ name: string; faultsServed: number }> };
        return (stats.deployments.find((d) => d.name === 'chat')?.faultsServed ?? 0) > 0;
      },
      60_000,
    );

    const text = await status([]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`\\n {2}1 +${simulator.name} +1 +chat +cooling \\d+ s +\\S+ +\\d+ +[1-9]\\d* +[1-9]\\d*\\n`), text.stdout);
    assert.match(text.stdout, /\n {2}2 +openai2-\w+ +1 +chat +healthy /);

    const json = await status(['--json']);
    assert.equal(json.code, 0, json.stderr);
    const snapshot = JSON.parse(json.stdout) as StatusSnapshot;
    assert.ok(snapshot.balancer.reachable);
    const chatOn = (id: string) =>
      snapshot.balancer.reachable ? snapshot.balancer.backends.find((b) => b.id === id)!.deployments.find((d) => d.deployment === 'chat')! : undefined;
    const cooling = chatOn('1')!;
    assert.equal(cooling.state, 'cooling');
    assert.ok(cooling.cooldownRemainingMs > 0 && cooling.cooldownRemainingMs <= 60_000, String(cooling.cooldownRemainingMs));
    assert.ok(cooling.throttled >= 1 && cooling.failovers >= 1);
    assert.equal(chatOn('2')!.state, 'healthy');
    assert.ok(chatOn('2')!.requests >= 1);
    assert.equal(typeof chatOn('2')!.remainingTokens, 'number');
  });

  it('--watch prints a block every interval until Ctrl-C, which exits 0', async () => {
    const cli = startCli(['status', '--watch', '--interval', '0.5', '--cwd', world.projectDir], world.env);
    try {
      await waitFor('two status blocks', () => (cli.stdout().match(/^aoai-lb status /gm)?.length ?? 0) >= 2, 60_000);
      assert.equal(await cli.stop('SIGINT'), 0);
      assert.match(cli.stdout(), /Balancer {2}up /);
    } finally {
      await cli.stop('SIGKILL');
    }
  });

  it('a bad --interval is a usage error; an unknown environment says so', async () => {
    const bad = await status(['--watch', '--interval', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error: --interval "0" is not a number of seconds from 0\.5 to 3600\./);
    const unknown = await status(['--env', 'nope']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /error: .*nope/);
  });
});
