// The keyless chat-app flow (issue 10 §1): `up --client-auth entra --allowed-client-ids <chat app>` on the
// Azure twin, `wire-chat` gives the chat app no key, and the chat app's own Entra ID token (signed by a
// local issuer the twin's containers reach as Entra) goes through the balancer's public URL. Both
// chat-app generations, as the openai package calls them; a key, another client and a wrong audience are refused.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import OpenAI, { AzureOpenAI } from 'openai';
import { parseDotenv } from '../../src/env/dotenv.js';
import { runCli } from '../helpers/cli-process.js';
import { chatAppId, startEntraIssuer, type EntraIssuer } from '../helpers/entra-issuer.js';
import { fetchVia, startUpWorld, twinProxy, type UpWorld } from '../helpers/up-world.js';

const azureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const userObjectId = '7e57e57e-0000-4000-8000-000000000001';
const fixture = (generation: string): string => fileURLToPath(new URL(`../fixtures/chat-app-${generation}/`, import.meta.url));

describe("keyless: up --client-auth entra, wire-chat, the chat app's token", { timeout: 15 * 60_000 }, () => {
  let issuer: EntraIssuer;
  let world: UpWorld;
  const scratch: string[] = [];
  before(async () => {
    issuer = await startEntraIssuer({ tenantId: '88888888-8888-8888-8888-888888888888' });
    // The signed-in user's token, as `az account get-access-token` prints it (one token for every scope here).
    const userToken = await issuer.issueToken({ appid: azureCliAppId, oid: userObjectId, expiresInSeconds: 3 * 3600 });
    world = await startUpWorld({ twin: { entraAuthorityHost: issuer.authorityHost }, login: { token: userToken } });
  });
  after(async () => {
    await world?.close();
    await issuer?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of a chat-app fixture, and a PATH with the fake az but no azd (wire-chat then writes azd's .env itself). */
  function chatApp(generation: '2024' | '2025'): { dir: string; path: string } {
    const dir = mkdtempSync(join(tmpdir(), `aoai-lb-keyless-${generation}-`));
    cpSync(fixture(generation), dir, { recursive: true });
    const bin = join(dir, '..', `${basename(dir)}-bin`);
    mkdirSync(bin);
    symlinkSync(join(world.cli.binDir, 'az'), join(bin, 'az'));
    scratch.push(dir, bin);
    const noAzd = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry && !existsSync(join(entry, 'azd')));
    return { dir, path: [bin, ...noAzd].join(delimiter) };
  }

  it("deploys a balancer that takes the chat app's token and nothing else", async () => {
    const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '--cwd', world.projectDir], { ...world.env, ...env });
    const up = await world.up([
      '--env',
      'keyless',
      '--regions',
      'eastus,swedencentral',
      '--client-auth',
      'entra',
      '--allowed-client-ids',
      `${chatAppId},${userObjectId}`,
    ]);
    assert.equal(up.code, 0, up.stderr);
    const values = parseDotenv((await cli(['env', 'get-values'])).stdout);
    assert.equal(values.BALANCER_CLIENT_AUTH, 'entra');
    assert.equal(values.BALANCER_ALLOWED_CLIENT_IDS, `${chatAppId},${userObjectId}`);

    // status reads the balancer's live state with the signed-in user's token (no key exists to use).
    const status = await cli(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { balancer: { reachable: boolean } }).balancer.reachable, true, status.stdout);

    const dispatcher = twinProxy(world);
    try {
      for (const generation of ['2025', '2024'] as const) {
        const app = chatApp(generation);
        const wire = await cli(['wire-chat', '--chat-dir', app.dir, '--chat-env', 'dev', '--create'], { PATH: app.path });
        assert.equal(wire.code, 0, wire.stderr);
        assert.match(wire.stdout, /Keyless: the balancer takes Entra ID tokens \(CLIENT_AUTH=entra\) from clients 5f1c2b7e-[^,]+, 7e57e57e-/);
        const chatEnv = parseDotenv(readFileSync(join(app.dir, '.azure', 'dev', '.env'), 'utf8'));
        assert.equal(chatEnv.AZURE_OPENAI_API_KEY_OVERRIDE, undefined, `${generation}: no key given to the chat app`);
        const deployment = chatEnv.AZURE_OPENAI_CHATGPT_DEPLOYMENT!;
        const token = () => issuer.issueToken();
        // What each generation builds from those values when it has no key: a token provider.
        const answer =
          generation === '2025'
            ? await new OpenAI({ baseURL: chatEnv.AZURE_OPENAI_CUSTOM_URL, apiKey: token, maxRetries: 0, fetch: fetchVia(dispatcher) }).chat.completions.create(
                { model: deployment, messages: [{ role: 'user', content: 'Hi' }] },
              )
            : await new AzureOpenAI({
                endpoint: chatEnv.AZURE_OPENAI_CUSTOM_URL,
                azureADTokenProvider: token,
                apiVersion: '2024-10-21',
                maxRetries: 0,
                fetch: fetchVia(dispatcher),
              }).chat.completions.create({ model: deployment, messages: [{ role: 'user', content: 'Hi' }] });
        assert.ok(answer.choices[0]?.message.content, generation);
      }

      const url = values.CONTAINER_APP_URL!;
      const modelsStatus = async (authorization: string): Promise<number> => {
        const client = new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: authorization, maxRetries: 0, fetch: fetchVia(dispatcher) });
        try {
          await client.models.list();
          return 200;
        } catch (error) {
          return (error as { status: number }).status;
        }
      };
      assert.equal(await modelsStatus('a-client-key'), 401, 'keys are not accepted');
      assert.equal(
        await modelsStatus(await issuer.issueToken({ appid: '99999999-0000-0000-0000-000000000000', oid: '99999999-0000-0000-0000-000000000001' })),
        401,
        'another client',
      );
      assert.equal(await modelsStatus(await issuer.issueToken({ aud: 'https://management.azure.com' })), 401, 'a token for another audience');
    } finally {
      await dispatcher.close();
    }
  });
});
