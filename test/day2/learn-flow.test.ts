// The Microsoft Learn article's whole flow, as a new user runs it with aoai-lb (issue 4, "Judged by"):
// up, env get-values, wire-chat into the chat app, a chat request through the URL with the key the chat
// app was given, logs showing its "Proxying to" line, capacity 50, down --purge --force. The built CLI
// against the Azure twin; the chat app is the 2025-generation fixture, without azd on PATH.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import OpenAI from 'openai';
import { parseDotenv } from '../../src/env/dotenv.js';
import { sdkOptions, staticCredential } from '../twin/sdk.js';
import { runCli } from '../helpers/cli-process.js';
import { fetchVia, startUpWorld, twinProxy, type UpWorld } from '../helpers/up-world.js';

const fixture = fileURLToPath(new URL('../fixtures/chat-app-2025/', import.meta.url));

describe('the Learn article flow with aoai-lb', { timeout: 15 * 60_000 }, () => {
  let world: UpWorld;
  let chatDir: string;
  before(async () => {
    world = await startUpWorld();
    chatDir = mkdtempSync(join(tmpdir(), 'aoai-lb-chat-app-'));
    cpSync(fixture, chatDir, { recursive: true });
  });
  after(async () => {
    await world?.close();
    if (chatDir) for (const dir of [chatDir, `${chatDir}-bin`]) rmSync(dir, { recursive: true, force: true });
  });

  it('up → env get-values → wire-chat → chat → logs → capacity 50 → down --purge --force', async () => {
    const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '--cwd', world.projectDir], { ...world.env, ...env });

    const up = await world.up(['--env', 'learn', '--regions', 'eastus,swedencentral,westus3', '--location', 'eastus2']);
    assert.equal(up.code, 0, up.stderr);
    const url = /^CONTAINER_APP_URL=(\S+)$/m.exec(up.stdout)?.[1];
    assert.ok(url, up.stdout);
    assert.doesNotMatch(up.stdout + up.stderr, /client key:/, 'the key is not printed unless asked for');

    const values = await cli(['env', 'get-values']);
    assert.equal(values.code, 0, values.stderr);
    assert.equal(parseDotenv(values.stdout).CONTAINER_APP_URL, url);

    // No azd on PATH (the fake az stays): wire-chat writes the chat app's .env as azd would.
    const azOnly = join(chatDir, '..', `${basename(chatDir)}-bin`);
    mkdirSync(azOnly);
    symlinkSync(join(world.cli.binDir, 'az'), join(azOnly, 'az'));
    const noAzd = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !existsSync(join(dir, 'azd')));
    const wire = await cli(['wire-chat', '--chat-dir', chatDir, '--chat-env', 'dev', '--create'], { PATH: [azOnly, ...noAzd].join(delimiter) });
    assert.equal(wire.code, 0, wire.stderr);
    const chatEnv = parseDotenv(readFileSync(join(chatDir, '.azure', 'dev', '.env'), 'utf8'));
    assert.equal(chatEnv.OPENAI_HOST, 'azure_custom');
    assert.equal(chatEnv.AZURE_OPENAI_CUSTOM_URL, `${url}/openai/v1`);
    const key = chatEnv.AZURE_OPENAI_API_KEY_OVERRIDE!;
    assert.ok(key && !wire.stdout.includes(key), 'the chat app got the key; the output masks it');

    // What the 2025 chat app does with those values: an OpenAI client on base_url = AZURE_OPENAI_CUSTOM_URL.
    const dispatcher = twinProxy(world);
    try {
      const client = new OpenAI({
        baseURL: chatEnv.AZURE_OPENAI_CUSTOM_URL,
        apiKey: key,
        maxRetries: 0,
        fetch: fetchVia(dispatcher),
      });
      const answer = await client.chat.completions.create({ model: chatEnv.AZURE_OPENAI_CHATGPT_DEPLOYMENT!, messages: [{ role: 'user', content: 'Hi' }] });
      assert.ok(answer.choices[0]?.message.content);
    } finally {
      await dispatcher.close();
    }

    // The balancer writes its log in batches: ask again (each a fresh `logs`) until its line has arrived.
    let logs = '';
    for (let attempt = 0; attempt < 30 && !/Proxying to https:\/\/\S*openai\d-/.test(logs); attempt++) {
      const run = await cli(['logs', '--tail', '300']);
      assert.equal(run.code, 0, run.stderr);
      logs = run.stdout;
    }
    assert.match(logs, /Proxying to https:\/\/\S*openai\d-/, 'logs shows where the chat request went');

    const capacity = await cli(['capacity', '50']);
    assert.equal(capacity.code, 0, capacity.stderr);
    const cs = new CognitiveServicesManagementClient(staticCredential, world.twin.subscriptionId, sdkOptions(world.twin));
    for await (const account of cs.accounts.listByResourceGroup('learn-rg')) {
      for await (const deployment of cs.deployments.list('learn-rg', account.name!))
        assert.equal(deployment.sku?.capacity, 50, `${account.name}/${deployment.name}`);
    }

    const down = await cli(['down', '--purge', '--force']);
    assert.equal(down.code, 0, down.stderr);
    let deleted = 0;
    for await (const _ of cs.deletedAccounts.list()) deleted++;
    assert.equal(deleted, 0, 'no soft-deleted account is left');
    assert.equal(parseDotenv((await cli(['env', 'get-values'])).stdout).CONTAINER_APP_URL, undefined, 'the outputs are cleared');
  });
});
