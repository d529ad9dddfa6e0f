/**
 * `aoai-lb dev` as a user runs it: the built CLI as a child process, driven by the official openai
 * package through the URL and key it prints. Every wait reads output with a deadline; no fixed sleeps.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { AzureOpenAI, OpenAI } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runCli, startCli, type CliProcess } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';

interface DeploymentStatus {
  deployment: string;
  requests: number;
  throttled: number;
}
interface StatusLine {
  type: 'ready' | 'status' | 'stopped';
  url: string;
  clientKey?: string;
  backends: { id: string; url: string; deployments?: DeploymentStatus[] }[];
  status?: { backends: { id: string; url: string; deployments: DeploymentStatus[] }[] };
  totals?: { requests: number; succeeded: number; throttled: number; failed: number };
  summary?: string;
}

/** The JSON lines printed so far. */
function jsonLines(cli: CliProcess): StatusLine[] {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as StatusLine);
}

function waitForLine(cli: CliProcess, what: string, match: (line: StatusLine) => boolean, timeoutMs = 30_000): Promise<StatusLine> {
  return waitFor(`${what} (stderr: ${cli.stderr().slice(-500)})`, () => jsonLines(cli).find(match), timeoutMs);
}

function startDev(args: string[]): CliProcess {
  const cli = startCli(['dev', '--port', '0', '--json', ...args]);
  running.push(cli);
  return cli;
}

/** True once nothing accepts connections on the URL's port. */
async function isClosed(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

const running: CliProcess[] = [];
after(async () => {
  await Promise.all(running.map((cli) => cli.stop('SIGKILL')));
});

describe('aoai-lb dev with simulated backends', () => {
  let dev: CliProcess;
  let ready: StatusLine;

  it('starts three simulated backends and the balancer, and prints the URL and a client key', async () => {
    dev = startDev(['--time-scale', '60']);
    ready = await waitForLine(dev, 'the ready line', (line) => line.type === 'ready');
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(ready.clientKey!, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(ready.backends.length, 3);
    for (const backend of ready.backends) assert.match(backend.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves a chat request from the openai package, and counts it in a later status', async () => {
    const client = new AzureOpenAI({ endpoint: ready.url, apiKey: ready.clientKey, apiVersion: '2024-10-21', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
    assert.equal(completion.object, 'chat.completion');
    assert.ok(completion.choices[0]?.message.content);

    const status = await waitForLine(dev, 'a status with the request counted', (line) => line.type === 'status' && (line.totals?.succeeded ?? 0) >= 1);
    assert.equal(status.totals!.requests, 1);
    const chat = status.status!.backends.flatMap((b) => b.deployments).filter((d) => d.deployment === 'chat');
    assert.equal(
      chat.reduce((sum, d) => sum + d.requests, 0),
      1,
    );
  });

  it('refuses requests without the client key', async () => {
    const response = await fetch(`${ready.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 401);
  });

  it('stops everything on SIGINT with exit code 0 and a summary', async () => {
    assert.equal(await dev.stop('SIGINT'), 0);
    const stopped = jsonLines(dev).at(-1)!;
    assert.equal(stopped.type, 'stopped');
    assert.match(stopped.summary!, /aoai-lb dev stopped after .*client requests/);
    for (const url of [ready.url, ...ready.backends.map((b) => b.url)]) assert.ok(await isClosed(url), `${url} still answers`);
  });
});

describe('aoai-lb dev --demo-load', () => {
  it('drives traffic whose 429s the balancer absorbs, while clients keep succeeding', async () => {
    // 5K TPM per deployment with a 5 s token window: one backend takes about 5 demo requests a second
    // (200 tokens each), and the default demo rate is the three backends' combined quota.
    const dev = startDev(['--time-scale', '12', '--tpm', '5', '--demo-load', '--backends', '3']);
    const ready = await waitForLine(dev, 'the ready line', (line) => line.type === 'ready');
    const throttledSomewhere = (line: StatusLine): boolean =>
      line.type === 'status' && line.status!.backends.some((b) => b.deployments.some((d) => d.throttled > 0)) && line.totals!.requests >= 30;
    const status = await waitForLine(dev, 'a status with 429s absorbed', throttledSomewhere, 60_000);
    const { totals } = status;
    assert.ok(totals!.succeeded / totals!.requests >= 0.8, `success ${totals!.succeeded}/${totals!.requests}`);
    const used = status.status!.backends.filter((b) => b.deployments.some((d) => d.requests > 0));
    assert.ok(used.length >= 2, 'traffic went to more than one backend');

    assert.equal(await dev.stop('SIGINT'), 0);
    assert.equal(jsonLines(dev).at(-1)!.type, 'stopped');
    for (const url of [ready.url, ...ready.backends.map((b) => b.url)]) assert.ok(await isClosed(url), `${url} still answers`);
  });
});

describe('aoai-lb dev --demo-load with its defaults', () => {
  it('runs time ×10 (said in the ready line) and shows a failover soon after the first quota window', async (t) => {
    const started = performance.now();
    const dev = startDev(['--demo-load']);
    const ready = await waitForLine(dev, 'the ready line', (line) => line.type === 'ready');
    assert.equal((ready as unknown as { timeScale: number }).timeScale, 10);
    assert.equal((ready as unknown as { demoLoadRps: number }).demoLoadRps, 75, "the three backends' combined 30K TPM at 200 tokens a request, ×10");
    const failedOver = (line: StatusLine): boolean =>
      line.type === 'status' && line.status!.backends.some((b) => b.deployments.some((d) => (d as DeploymentStatus & { failovers: number }).failovers > 0));
    const status = await waitForLine(dev, 'a status with a failover', failedOver, 90_000);
    // How long a user waits for it: docs/benchmarks.md has the figures; the goal is under 20 s.
    t.diagnostic(`first failover shown ${((performance.now() - started) / 1000).toFixed(1)} s after start`);
    assert.ok(status.totals!.succeeded / status.totals!.requests >= 0.95, `success ${status.totals!.succeeded}/${status.totals!.requests}`);
    assert.equal(await dev.stop('SIGINT'), 0);
  });
});

describe('aoai-lb dev --backend URL=KEY', () => {
  // A simulator this test starts stands in for a real Azure OpenAI endpoint that dev did not start.
  let endpoint: Simulator;
  after(() => endpoint?.close());

  it('fronts the given endpoints instead of starting simulators, and leaves them running on exit', async () => {
    endpoint = await startSimulator({ apiKeys: ['real-key'], latency: 'none' });
    const dev = startDev(['--backend', `${endpoint.url}=real-key`, '--client-key', 'my-local-key']);
    const ready = await waitForLine(dev, 'the ready line', (line) => line.type === 'ready');
    assert.equal(ready.clientKey, 'my-local-key');
    assert.deepEqual(ready.backends, [{ id: '1', url: endpoint.url, simulated: false }]);

    const v1 = new OpenAI({ baseURL: `${ready.url}/openai/v1`, apiKey: 'my-local-key', maxRetries: 0 });
    const embedding = await v1.embeddings.create({ model: 'embedding', input: 'hello' });
    assert.equal(embedding.data.length, 1);
    assert.equal(endpoint.stats().deployments.find((d) => d.name === 'embedding')!.admitted, 1);
    await waitForLine(dev, 'the embedding request in a status', (line) =>
      Boolean(line.status?.backends[0]?.deployments.some((d) => d.deployment === 'embedding' && d.requests === 1)),
    );

    assert.equal(await dev.stop('SIGINT'), 0);
    assert.ok(await isClosed(ready.url));
    assert.equal((await fetch(`${endpoint.url}/__sim/stats`)).status, 200, 'the endpoint dev did not start still runs');
  });
});

describe('aoai-lb dev errors', () => {
  let blocker: Server | undefined;
  after(() => blocker?.close());

  for (const [args, pattern] of [
    [['--backends', '0'], /--backends "0" is not a whole number from 1 to 20\./],
    [['--backends', 'three'], /--backends "three" is not a whole number/],
    [['--tpm', '-5'], /--tpm "-5" is not a whole number from 1 to/],
    [['--port', '70000'], /--port "70000" is not a whole number from 0 to 65535/],
    [['--time-scale', '0'], /--time-scale "0" is not a number above 0/],
    [['--demo-load', 'fast'], /--demo-load "fast" is not a number above 0/],
    [['--backend', 'not a url'], /--backend "not a url" is not an http\(s\) URL/],
    [['--backend', 'https://a.openai.azure.com=key', '--tpm', '10'], /--tpm applies to simulated backends/],
    [['--backend', 'https://a.openai.azure.com=key', '--demo-load'], /--demo-load would spend the real quota/],
    [['--client-key', 'a,b'], /--client-key must not contain ","/],
  ] as const) {
    it(`exits 2 on ${args.join(' ')}`, async () => {
      const result = await runCli(['dev', '--json', ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
      assert.match(result.stderr, /→ /, 'a suggestion follows');
      assert.equal(result.stdout, '');
    });
  }

  it('says what to do when the port is taken, and leaves no simulator behind', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    const result = await runCli(['dev', '--json', '--port', String(port)]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
    assert.match(result.stderr, /--port 0 picks a free one/);
  });
});
