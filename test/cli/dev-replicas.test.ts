/**
 * `aoai-lb dev --replicas N`: N balancer processes behind one port, sharing state through a redis-server
 * that dev starts (Debian's, installed by .ci/run), all stopped with dev.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import type { BalancerStatus } from '../../templates/balancer/src/status.js';
import { runCli, startCli, type CliProcess } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';

interface ReadyLine {
  type: 'ready';
  url: string;
  clientKey: string;
  replicas: { urls: string[]; store: string };
}

const running: CliProcess[] = [];
after(async () => {
  await Promise.all(running.map((cli) => cli.stop('SIGKILL')));
});

function lines(cli: CliProcess): Record<string, unknown>[] {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function isClosed(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

/** Whether something accepts TCP connections on the port (redis-server closes an HTTP request, so fetch cannot tell). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function statusOf(url: string, key: string): Promise<BalancerStatus> {
  return (await (await fetch(`${url}/status`, { headers: { 'api-key': key } })).json()) as BalancerStatus;
}

describe('aoai-lb dev --replicas 3', () => {
  it('serves through one port, round robin over three processes that share state, and stops them all', async () => {
    const cli = startCli(['dev', '--port', '0', '--json', '--replicas', '3'], { PATH: process.env.PATH });
    running.push(cli);
    const ready = (await waitFor(
      `the ready line (stderr: ${cli.stderr().slice(-400)})`,
      () => lines(cli).find((line) => line.type === 'ready'),
      30_000,
    )) as unknown as ReadyLine;
    assert.equal(ready.replicas.urls.length, 3);
    assert.match(ready.replicas.store, /^redis:\/\/127\.0\.0\.1:\d+$/);

    const client = new AzureOpenAI({ endpoint: ready.url, apiKey: ready.clientKey, apiVersion: '2024-10-21', maxRetries: 0 });
    for (let i = 0; i < 6; i++) await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5 });

    const statuses = await Promise.all(ready.replicas.urls.map((url) => statusOf(url, ready.clientKey)));
    for (const [i, status] of statuses.entries()) {
      assert.equal(status.responses['200'], 2, `replica ${i + 1} answered two of the six`);
      assert.equal(status.sharedState?.store, ready.replicas.store);
    }
    await waitFor('each replica to see the other two', async () =>
      (await Promise.all(ready.replicas.urls.map((url) => statusOf(url, ready.clientKey)))).every(
        (s) => s.sharedState?.mode === 'shared' && s.sharedState.peers === 2,
      ),
    );
    const merged = await waitFor('a status line counting all six', () =>
      lines(cli).find((line) => line.type === 'status' && (line.totals as { succeeded: number }).succeeded === 6),
    );
    const chatRequests = (merged.status as BalancerStatus).backends.flatMap((b) => b.deployments).reduce((sum, d) => sum + d.requests, 0);
    assert.equal(chatRequests, 6, 'the view adds up the three replicas');

    const storePort = Number(new URL(ready.replicas.store).port);
    assert.equal(await accepts(storePort), true, 'the redis-server dev started is up');
    assert.equal(await cli.stop('SIGINT'), 0);
    for (const url of [ready.url, ...ready.replicas.urls]) assert.ok(await isClosed(url), `${url} still answers`);
    assert.equal(await accepts(storePort), false, 'the redis-server is stopped');
  });

  it('without a redis-server: exit 2, what is missing and how to install it', async () => {
    const run = await runCli(['dev', '--port', '0', '--replicas', '2'], { PATH: '/nonexistent' });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--replicas shares state between the replicas through Redis, and no redis-server is on PATH/);
    assert.match(run.stderr, /sudo apt-get install redis-server/);
  });

  it('--replicas takes 1 to 10', async () => {
    const run = await runCli(['dev', '--port', '0', '--replicas', '11']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--replicas "11" is not a whole number from 1 to 10\./);
  });
});
