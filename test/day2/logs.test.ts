// `aoai-lb logs` as a user runs it (the built CLI, a child process) against the balancer the twin runs
// after one `up`: a chat request's `Proxying to` line arrives in `logs --follow`, Ctrl-C exits 0; without
// --follow the last lines and exit; --all shows the other lines; --json parses; a new revision's replica
// is followed without a restart; bad flags are usage errors. Also the pure parts (line parsing, dedupe
// after a reconnect, reconcile) as unit tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { AzureOpenAI } from 'openai';
import { backendOf, parseStreamLine, SeenLines, shown, toEntry } from '../../src/ops/logs/lines.js';
import { reconcile, type StreamTarget } from '../../src/ops/logs/targets.js';
import { createLogPrinter, replicaLabel } from '../../src/ui/log-lines.js';
import { runCli, startCli, type CliProcess } from '../helpers/cli-process.js';
import { fetchVia, startUpWorld, twinProxy, type UpWorld } from '../helpers/up-world.js';
import { fastPoll, sdkOptions, staticCredential } from '../twin/sdk.js';

describe('logs: stream lines, filter, dedupe, reconcile (pure)', () => {
  it('parses a text line into its time and the container line, and the connection notices apart', () => {
    const raw =
      '2025-01-01T10:00:00.123456789Z 2025-01-01T10:00:00.120Z info  Proxying to https://openai1-x.openai.azure.com/openai/deployments/chat/chat/completions?api-version=2024-10-21 backend=1';
    const line = parseStreamLine(raw);
    assert.deepEqual(line, { kind: 'line', time: '2025-01-01T10:00:00.123456789Z', text: raw.slice(31) });
    assert.equal(parseStreamLine("2025-01-01T10:00:00Z Connecting to the container 'balancer'...").kind, 'connected');
    assert.equal(parseStreamLine("Successfully Connected to container: 'balancer' [Revision: 'r', Replica: 'x']").kind, 'connected');
    assert.deepEqual(parseStreamLine('no time here \\u0022quoted\\u0022 1\\u002B1'), { kind: 'line', time: '', text: 'no time here "quoted" 1+1' });
  });

  it("finds the backend of a 'Proxying to' line: the endpoint before /openai/, or the origin", () => {
    assert.equal(
      backendOf('info  Proxying to https://openai1-x.openai.azure.com/openai/deployments/chat/chat/completions?api-version=1 backend=1'),
      'https://openai1-x.openai.azure.com',
    );
    assert.equal(backendOf('warn  Proxying to https://127.0.0.1:4431/openai2-abc/openai/v1/chat/completions status=429'), 'https://127.0.0.1:4431/openai2-abc');
    assert.equal(backendOf('info  Proxying to https://example.com/v1/x'), 'https://example.com');
    assert.equal(backendOf('aoai-lb balancer listening on http://0.0.0.0:8080'), undefined);
    const entry = toEntry('ca--r1-a-b', 'ca--r1', { time: 't', text: 'info  Proxying to https://h/openai/x' });
    assert.equal(entry.backend, 'https://h');
    assert.equal(shown(entry, false), true);
    assert.equal(shown(toEntry('r', 'v', { time: 't', text: 'listening' }), false), false);
    assert.equal(shown(toEntry('r', 'v', { time: 't', text: 'listening' }), true), true);
  });

  it('after a reconnect, shows only lines it has not shown (same-millisecond lines kept apart by text)', () => {
    const seen = new SeenLines();
    const first = ['2025-01-01T00:00:01.000Z a', '2025-01-01T00:00:02.000Z b', '2025-01-01T00:00:02.000Z c'];
    const admitted = (lines: string[]) =>
      lines
        .map(parseStreamLine)
        .filter((l) => l.kind === 'line' && seen.admit(l))
        .map((l) => (l as { text: string }).text);
    assert.deepEqual(admitted(first), ['a', 'b', 'c']);
    assert.deepEqual(admitted([...first, '2025-01-01T00:00:02.000Z d', '2025-01-01T00:00:03.000Z e']), ['d', 'e']);
    const late = new SeenLines(Date.parse('2025-01-01T00:00:02.000Z'));
    assert.equal(late.admit({ time: '2025-01-01T00:00:01.999Z', text: 'before start' }), false);
    assert.equal(late.admit({ time: '2025-01-01T00:00:02.500Z', text: 'after start' }), true);
  });

  it('reconcile opens new streams and closes gone ones', () => {
    const target = (key: string) => ({ key }) as StreamTarget;
    assert.deepEqual(reconcile(['r1/a/c', 'r1/b/c'], [target('r1/b/c'), target('r2/x/c')]), { start: [target('r2/x/c')], stop: ['r1/a/c'] });
  });

  it('prints the short replica name, colours each backend apart, and writes JSON lines', () => {
    assert.equal(replicaLabel('ca-lb-abc--0wlqy09-5d9774cff-5wnd8'), '0wlqy09-5d9774cff-5wnd8');
    let out = '';
    const printer = createLogPrinter({ json: false, color: true, stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true } });
    printer.entry(toEntry('app--r-1', 'app--r', { time: 't', text: 'Proxying to https://one/openai/x' }));
    printer.entry(toEntry('app--r-1', 'app--r', { time: 't', text: 'Proxying to https://two/openai/x' }));
    const [a, b] = out.trim().split('\n');
    const esc = '\u001b[';
    assert.equal(a, `${esc}2m[r-1]${esc}22m Proxying to ${esc}1m${esc}36mhttps://one${esc}39m${esc}22m/openai/x`);
    assert.ok(b!.includes(`${esc}35mhttps://two`), 'the second backend has another colour');
    let json = '';
    createLogPrinter({ json: true, color: false, stdout: { write: (t: string) => (json += t) }, stderr: { write: () => true } }).entry(
      toEntry('x', 'v', { time: 't', text: 'hello' }),
    );
    assert.deepEqual(JSON.parse(json), { replica: 'x', revision: 'v', time: 't', line: 'hello' });
  });
});

describe('aoai-lb logs against the balancer the twin runs', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let url: string;
  let clientKey: string;
  let appName: string;
  const running: CliProcess[] = [];
  const logs = (args: string[]) => runCli(['logs', '--cwd', world.projectDir, ...args], world.env);
  const follow = (args: string[]) => {
    const cli = startCli(['logs', '--follow', '--cwd', world.projectDir, ...args], world.env);
    running.push(cli);
    return cli;
  };

  async function chat(content: string): Promise<void> {
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
      const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content }] });
      assert.ok(completion.choices[0]?.message.content);
    } finally {
      await dispatcher.close();
    }
  }

  before(async () => {
    world = await startUpWorld();
    const up = await world.up(['--env', 'demo', '--regions', 'eastus,swedencentral', '--location', 'eastus2', '--json', '--show-key']);
    assert.equal(up.code, 0, `stdout: ${up.stdout}\nstderr: ${up.stderr}`);
    const result = JSON.parse(up.stdout) as { containerAppUrl: string; clientKey: string };
    url = result.containerAppUrl;
    clientKey = result.clientKey;
    appName = new URL(url).hostname.split('.')[0]!;
  });
  after(async () => {
    await Promise.all(running.map((cli) => cli.stop('SIGKILL')));
    await world?.close();
  });

  it('--tail 500 and --tail x are usage errors, before anything is asked of Azure', async () => {
    const before = world.twin.requests.length;
    for (const tail of ['500', 'x', '-1']) {
      const run = await logs(['--tail', tail]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`error: --tail "${tail}" is not a whole number from 0 to 300`));
      assert.match(run.stderr, /→ .*--tail 300 or less/);
    }
    assert.equal(world.twin.requests.length, before);
  });

  it("--follow shows a chat request's 'Proxying to' line with its replica, and Ctrl-C exits 0", async () => {
    const cli = follow([]);
    await cli.waitForOutput(/\[logs\] following ca-lb-\w+--\w+-\w+/, 30_000);
    await chat('Hello from the logs test');
    const [line] = await cli.waitForOutput(/^\[[\w-]+\] .*Proxying to https:\/\/127\.0\.0\.1:\d+\/openai\d-\w+\/openai\/.*$/m, 30_000);
    assert.match(line, /deployment=chat status=200/);
    assert.doesNotMatch(cli.stdout(), /listening on/, 'other lines are filtered out');
    assert.ok(!cli.stdout().includes('\u001b['), 'no colour when stdout is not a terminal');
    assert.equal(await cli.stop('SIGINT'), 0);
    assert.doesNotMatch(cli.stderr(), /error|Bearer/i);
  });

  it('without --follow prints the last lines and exits; --all --json shows the other lines as JSON; --tail 0; --replica', async () => {
    const filtered = await logs([]);
    assert.equal(filtered.code, 0, filtered.stderr);
    const lines = filtered.stdout.trim().split('\n');
    assert.ok(lines.length >= 1 && lines.every((l) => /^\[[\w-]+\] .*Proxying to /.test(l)), filtered.stdout);

    const json = await logs(['--json', '--all', '--tail', '300']);
    assert.equal(json.code, 0, json.stderr);
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { replica: string; revision: string; time: string; line: string; backend?: string });
    assert.ok(entries.length > lines.length);
    for (const entry of entries) {
      assert.match(entry.replica, new RegExp(`^${appName}--`));
      assert.ok(entry.replica.startsWith(entry.revision));
      assert.ok(!Number.isNaN(Date.parse(entry.time)), entry.time);
    }
    assert.ok(
      entries.some((e) => e.line.includes('aoai-lb balancer listening on')),
      '--all shows the other lines',
    );
    const proxied = entries.filter((e) => e.line.includes('Proxying to'));
    assert.ok(proxied.length >= 1);
    assert.ok(
      proxied.every((e) => /^https:\/\/127\.0\.0\.1:\d+\/openai\d-\w+$/.test(e.backend ?? '')),
      JSON.stringify(proxied),
    );
    assert.ok(entries.filter((e) => !e.line.includes('Proxying to')).every((e) => e.backend === undefined));

    const none = await logs(['--tail', '0']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '', '--tail 0 asks for no past lines');

    const replica = entries[0]!.replica;
    const one = await logs(['--all', '--replica', replicaLabel(replica)]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /listening on/);
    const unknown = await logs(['--replica', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /error: no running replica is named nope\.\n {2}→ the running replicas are: ca-lb-/);
  });

  it('--follow picks up the replica of a new revision without a restart', async () => {
    const cli = follow(['--all', '--tail', '0']);
    await cli.waitForOutput(/\[logs\] following /, 30_000);
    const aca = new ContainerAppsAPIClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    const app = await aca.containerApps.get('demo-rg', appName);
    const container = app.template!.containers![0]!;
    container.env = [...(container.env ?? []), { name: 'LOGS_TEST_REVISION', value: '2' }];
    const updated = await aca.containerApps.beginCreateOrUpdateAndWait('demo-rg', appName, app, fastPoll);
    const revision = updated.latestRevisionName!;
    assert.notEqual(revision, app.latestRevisionName);
    const suffix = revision.slice(revision.lastIndexOf('--') + 2);
    // Its replica's start-up lines arrive once the poll (every 5 s) has found it.
    await cli.waitForOutput(new RegExp(`^\\[${suffix}-[\\w-]+\\] .*aoai-lb balancer listening on`, 'm'), 45_000);
    await cli.waitForOutput(new RegExp(`\\[logs\\] ca-lb-\\w+--(?!${suffix})\\w+-[\\w-]+ stopped running`), 30_000);
    await world.twin.apps!.whenReady(appName);
    await chat('after the new revision');
    await cli.waitForOutput(new RegExp(`^\\[${suffix}-[\\w-]+\\] .*Proxying to `, 'm'), 30_000);
    assert.equal(await cli.stop('SIGINT'), 0);
  });
});
