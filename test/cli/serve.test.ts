import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI, OpenAI } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runCli, startCli, type CliProcess } from '../helpers/cli-process.js';

describe('aoai-lb serve, as the container runs it', () => {
  const simulators: Simulator[] = [];
  let serve: CliProcess;
  let url: string;
  before(async () => {
    for (let i = 0; i < 3; i++) simulators.push(await startSimulator({ apiKeys: [`key-${i}`], latency: 'none' }));
    const env: Record<string, string> = { PORT: '0', CLIENT_API_KEYS: 'lb-key' };
    simulators.forEach((simulator, i) => {
      env[`BACKEND_${i + 1}_URL`] = simulator.url;
      env[`BACKEND_${i + 1}_APIKEY`] = `key-${i}`;
    });
    serve = startCli(['serve'], env);
    url = (await serve.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
  });
  after(async () => {
    await serve.stop();
    await Promise.all(simulators.map((simulator) => simulator.close()));
  });

  it('answers both SDK generations and logs a Proxying line per attempt', async () => {
    const azure = new AzureOpenAI({ endpoint: url, apiKey: 'lb-key', apiVersion: '2024-10-21', maxRetries: 0 });
    const completion = await azure.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
    assert.equal(completion.object, 'chat.completion');
    const v1 = new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: 'lb-key', maxRetries: 0 });
    const embedding = await v1.embeddings.create({ model: 'embedding', input: 'hi' });
    assert.equal(embedding.data.length, 1);
    await serve.waitForOutput(/Proxying to http:\/\/127\.0\.0\.1:\d+\/openai\/v1\/embeddings/);
  });

  it('binds to 127.0.0.1 unless told otherwise', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    assert.equal(await serve.stop('SIGTERM'), 0);
    await assert.rejects(fetch(`${url}/healthz`));
  });
});

describe('aoai-lb serve flags', () => {
  let simulator: Simulator;
  before(async () => {
    simulator = await startSimulator({ apiKeys: ['sim'], latency: 'none' });
  });
  after(() => simulator.close());

  it('takes backends, keys and format from flags, over the environment', async () => {
    const serve = startCli(
      ['serve', '--port', '0', '--backend', `${simulator.url}=sim`, '--priority', '3', '--client-api-keys', 'flag-key', '--log-format', 'json'],
      { BACKEND_1_URL: 'https://ignored.example.com', CLIENT_API_KEYS: 'env-key' },
    );
    try {
      const url = JSON.parse((await serve.waitForOutput(/^\{.*listening on.*\}$/m))[0]!).msg.replace(/.*listening on /, '');
      const status = await fetch(`${url}/status`, { headers: { 'api-key': 'flag-key' } });
      const body = (await status.json()) as { backends: Array<{ url: string; priority: number }> };
      assert.equal(body.backends.length, 1);
      assert.equal(body.backends[0]!.url, `${simulator.url}/`);
      assert.equal(body.backends[0]!.priority, 3);
      assert.equal((await fetch(`${url}/status`, { headers: { 'api-key': 'env-key' } })).status, 401);
    } finally {
      await serve.stop();
    }
  });

  it('refuses --priority without --backend (exit 2)', async () => {
    const result = await runCli(['serve', '--priority', '1']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--priority and --deployment-name apply to --backend flags/);
  });

  it('refuses a --priority list of the wrong length (exit 2)', async () => {
    const result = await runCli(['serve', '--backend', simulator.url, '--backend', simulator.url, '--priority', '1']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--priority has 1 value\(s\) but 2 --backend flag\(s\)/);
  });
});

describe('configuration errors', () => {
  it('reports every problem on its own line naming the variable, and exits 2', async () => {
    const result = await runCli(['serve'], {
      BACKEND_1_URL: 'not a url',
      BACKEND_2_PRIORITY: 'high',
      BACKEND_3_URL: 'https://user:pw@x.openai.azure.com',
      HTTP_TIMEOUT_SECONDS: '-1',
      PORT: '99999',
      LOG_FORMAT: 'xml',
    });
    assert.equal(result.code, 2);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('  '));
    const named = lines.map((line) => line.trim().split(':')[0]);
    assert.deepEqual(named.sort(), [
      'BACKEND_1_URL',
      'BACKEND_2_PRIORITY',
      'BACKEND_2_URL',
      'BACKEND_3_URL',
      'CLIENT_API_KEYS',
      'HTTP_TIMEOUT_SECONDS',
      'LOG_FORMAT',
      'PORT',
    ]);
    assert.ok(!result.stderr.includes('pw@'), 'credentials in a URL are not echoed');
  });

  it('refuses to start without client keys unless ALLOW_ANONYMOUS=true, and warns when it is', async () => {
    const refused = await runCli(['serve'], { BACKEND_1_URL: 'https://a.openai.azure.com' });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /CLIENT_API_KEYS: not set.*ALLOW_ANONYMOUS=true/);

    const serve = startCli(['serve'], { BACKEND_1_URL: 'https://a.openai.azure.com', BACKEND_1_APIKEY: 'k', ALLOW_ANONYMOUS: 'true', PORT: '0' });
    try {
      await serve.waitForOutput(/warn .*ALLOW_ANONYMOUS=true: anyone who can reach this balancer/);
    } finally {
      await serve.stop();
    }
  });

  it('says which port is taken', async () => {
    const first = startCli(['serve', '--port', '0', '--allow-anonymous', '--backend', 'https://a.openai.azure.com=k']);
    try {
      const url = (await first.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
      const port = new URL(url).port;
      const second = await runCli(['serve', '--port', port, '--allow-anonymous', '--backend', 'https://a.openai.azure.com=k']);
      assert.equal(second.code, 2, 'a port in use is a configuration problem, as in dev');
      assert.match(second.stderr, new RegExp(`port ${port} is already in use`));
    } finally {
      await first.stop();
    }
  });

  it("refuses a host that is not an address (exit 2, like other bad flags), and one that is not this machine's", async () => {
    const malformed = await runCli(['serve', '--host', '999.1.1.1', '--allow-anonymous', '--backend', 'https://a.openai.azure.com=k']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /^ {2}HOST: "999\.1\.1\.1" is not an IP address or host name\. Use 0\.0\.0\.0 \(every interface\), 127\.0\.0\.1/m);
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine, and nothing is sent to it.
    const elsewhere = await runCli(['serve', '--host', '192.0.2.1', '--allow-anonymous', '--backend', 'https://a.openai.azure.com=k']);
    assert.equal(elsewhere.code, 2);
    assert.match(
      elsewhere.stderr,
      /cannot listen on 192\.0\.2\.1:8080: 192\.0\.2\.1 is not an address of this machine; set HOST to 0\.0\.0\.0 or 127\.0\.0\.1/,
    );
  });
});

describe('aoai-lb serve --help', () => {
  it('shows the default of every option', async () => {
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0);
    const options = help.stdout
      .split('\n  -')
      .slice(1)
      .map((option) => `-${option.replace(/\s+/g, ' ')}`);
    assert.ok(options.length >= 11, help.stdout);
    for (const option of options.filter((text) => !text.startsWith('-h, --help') && !text.startsWith('--verbose'))) {
      assert.match(option, /default|required unless/, `no default shown: ${option}`);
    }
    assert.match(help.stdout, /\(PORT; default 8080\)/);
    assert.match(help.stdout, /\(HTTP_TIMEOUT_SECONDS; default 100\)/);
  });
});
