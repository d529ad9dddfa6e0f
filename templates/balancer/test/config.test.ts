import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaults, loadConfig, type Env } from '../src/config.js';

const minimal: Env = { BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS: 'secret' };

/** The problems loadConfig reports for env, or a failure when it accepts it. */
function problems(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, `invalid configuration:\n${error.problems.join('\n')}`);
    return error.problems;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

/** Asserts exactly one problem, naming the variable first. */
function onlyProblem(env: Env, variable: string): string {
  const found = problems(env);
  assert.equal(found.length, 1, found.join('\n'));
  assert.ok(found[0]!.startsWith(`${variable}: `), found[0]);
  return found[0]!;
}

test('defaults', () => {
  const config = loadConfig(minimal);
  assert.deepEqual(config, {
    host: '0.0.0.0',
    port: 8080,
    backends: [{ id: '1', url: new URL('https://one.openai.azure.com/'), priority: 1, apiKey: undefined, deploymentName: undefined }],
    azureClientId: undefined,
    clientAuth: 'keys',
    clientApiKeys: ['secret'],
    allowAnonymous: false,
    entra: undefined,
    httpTimeoutMs: 100_000,
    maxBodyBytes: 32 * 1024 * 1024,
    clientHeaderTimeoutMs: 30_000,
    clientBodyTimeoutMs: 30_000,
    defaultCooldownMs: 10_000,
    maxCooldownMs: 60_000,
    circuitBaseMs: 2000,
    requestWindowMs: 10_000,
    logFormat: 'text',
    sharedState: undefined,
    workers: 1,
  });
  assert.equal(defaults.PORT, 8080);
  assert.equal(defaults.HTTP_TIMEOUT_SECONDS, 100);
});

test('every setting read', () => {
  const config = loadConfig({
    BACKEND_1_URL: ' https://one.openai.azure.com/ ',
    BACKEND_1_PRIORITY: '2',
    BACKEND_1_APIKEY: ' key1 ',
    BACKEND_1_DEPLOYMENT_NAME: 'gpt-4o-prod',
    HOST: '127.0.0.1',
    PORT: '0',
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
    CLIENT_API_KEYS: 'a',
    HTTP_TIMEOUT_SECONDS: '0.5',
    MAX_BODY_BYTES: '1024',
    DEFAULT_COOLDOWN_SECONDS: '0',
    MAX_COOLDOWN_SECONDS: '30',
    CIRCUIT_BASE_SECONDS: '1.5',
    LOG_FORMAT: ' JSON ',
  });
  assert.deepEqual(config.backends, [{ id: '1', url: new URL('https://one.openai.azure.com/'), priority: 2, apiKey: 'key1', deploymentName: 'gpt-4o-prod' }]);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 0);
  assert.equal(config.azureClientId, '00000000-0000-0000-0000-000000000001');
  assert.equal(config.httpTimeoutMs, 500);
  assert.equal(config.maxBodyBytes, 1024);
  assert.equal(config.defaultCooldownMs, 0);
  assert.equal(config.maxCooldownMs, 30_000);
  assert.equal(config.circuitBaseMs, 1500);
  assert.equal(config.logFormat, 'json');
});

test('blank optional values fall back to the defaults', () => {
  const config = loadConfig({
    ...minimal,
    HOST: '  ',
    PORT: '',
    HTTP_TIMEOUT_SECONDS: ' ',
    AZURE_CLIENT_ID: ' ',
    BACKEND_1_APIKEY: '',
    BACKEND_1_PRIORITY: '',
  });
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.port, 8080);
  assert.equal(config.httpTimeoutMs, 100_000);
  assert.equal(config.azureClientId, undefined);
  assert.equal(config.backends[0]!.apiKey, undefined);
  assert.equal(config.backends[0]!.priority, 1);
});

test('an empty environment: both missing settings reported', () => {
  const found = problems({});
  assert.equal(found.length, 2, found.join('\n'));
  assert.ok(found[0]!.startsWith('BACKEND_1_URL: '));
  assert.ok(found[1]!.startsWith('CLIENT_API_KEYS: '));
  assert.match(found[1]!, /ALLOW_ANONYMOUS=true/);
});

test('every problem is reported at once, one line each, naming its variable', () => {
  const found = problems({
    BACKEND_1_URL: 'https://user:pw@one.openai.azure.com/',
    BACKEND_2_URL: 'ftp://two.example.com/',
    BACKEND_3_PRIORITY: '1',
    BACKEND_4_URL: 'https://four.openai.azure.com/',
    BACKEND_4_PRIORITY: 'high',
    BACKEND_5_URL: 'not a url',
    BACKEND_6_URL: 'https://six.openai.azure.com/?key=x',
    PORT: '70000',
    HTTP_TIMEOUT_SECONDS: '0',
    MAX_BODY_BYTES: '1.5',
    DEFAULT_COOLDOWN_SECONDS: '-1',
    MAX_COOLDOWN_SECONDS: 'lots',
    CIRCUIT_BASE_SECONDS: '0',
    LOG_FORMAT: 'xml',
    ALLOW_ANONYMOUS: 'maybe',
  });
  const variables = found.map((line) => /^([A-Z0-9_]+): /.exec(line)?.[1]);
  assert.deepEqual([...variables].sort(), [
    'ALLOW_ANONYMOUS',
    'BACKEND_1_URL',
    'BACKEND_2_URL',
    'BACKEND_3_URL',
    'BACKEND_4_PRIORITY',
    'BACKEND_5_URL',
    'BACKEND_6_URL',
    'CIRCUIT_BASE_SECONDS',
    'CLIENT_API_KEYS',
    'DEFAULT_COOLDOWN_SECONDS',
    'HTTP_TIMEOUT_SECONDS',
    'LOG_FORMAT',
    'MAX_BODY_BYTES',
    'MAX_COOLDOWN_SECONDS',
    'PORT',
  ]);
  for (const line of found) assert.ok(!line.includes('\n'), line);
  assert.ok(!found.join('\n').includes('pw@'), 'credentials are not echoed');
});

test('backends are ordered by number, not by text, and gaps are allowed', () => {
  const config = loadConfig({
    BACKEND_10_URL: 'https://ten.openai.azure.com/',
    BACKEND_2_URL: 'https://two.openai.azure.com/',
    BACKEND_7_URL: 'https://seven.openai.azure.com/',
    CLIENT_API_KEYS: 'k',
  });
  assert.deepEqual(
    config.backends.map((b) => [b.id, b.url.hostname]),
    [
      ['2', 'two.openai.azure.com'],
      ['7', 'seven.openai.azure.com'],
      ['10', 'ten.openai.azure.com'],
    ],
  );
});

test('backend variable names are case-insensitive', () => {
  const config = loadConfig({
    backend_1_url: 'https://one.openai.azure.com/',
    Backend_1_Priority: '3',
    BACKEND_1_apikey: 'k1',
    backend_1_deployment_name: 'chat-prod',
    CLIENT_API_KEYS: 'k',
  });
  assert.deepEqual(config.backends, [{ id: '1', url: new URL('https://one.openai.azure.com/'), priority: 3, apiKey: 'k1', deploymentName: 'chat-prod' }]);
});

test('priorities: integers, negatives allowed; anything else is a problem', () => {
  assert.equal(loadConfig({ ...minimal, BACKEND_1_PRIORITY: '-2' }).backends[0]!.priority, -2);
  assert.equal(loadConfig({ ...minimal, BACKEND_1_PRIORITY: ' 5 ' }).backends[0]!.priority, 5);
  for (const priority of ['1.5', 'first', '1e2']) onlyProblem({ ...minimal, BACKEND_1_PRIORITY: priority }, 'BACKEND_1_PRIORITY');
});

test('settings for a backend without a URL are a problem', () => {
  assert.match(onlyProblem({ ...minimal, BACKEND_2_APIKEY: 'k2' }, 'BACKEND_2_URL'), /missing/);
});

test('backend URLs: http(s) only, no credentials, no query or fragment; a path is kept', () => {
  onlyProblem({ ...minimal, BACKEND_1_URL: 'https://key@one.openai.azure.com/' }, 'BACKEND_1_URL');
  onlyProblem({ ...minimal, BACKEND_1_URL: 'https://one.openai.azure.com/?api-key=x' }, 'BACKEND_1_URL');
  onlyProblem({ ...minimal, BACKEND_1_URL: 'https://one.openai.azure.com/#x' }, 'BACKEND_1_URL');
  onlyProblem({ ...minimal, BACKEND_1_URL: 'file:///etc/passwd' }, 'BACKEND_1_URL');
  onlyProblem({ ...minimal, BACKEND_1_URL: 'one.openai.azure.com' }, 'BACKEND_1_URL');
  assert.equal(loadConfig({ ...minimal, BACKEND_1_URL: 'http://127.0.0.1:9000' }).backends[0]!.url.href, 'http://127.0.0.1:9000/');
  assert.equal(loadConfig({ ...minimal, BACKEND_1_URL: 'https://apim.example.net/gw/' }).backends[0]!.url.pathname, '/gw/');
});

test('CLIENT_API_KEYS: comma-separated, trimmed, blanks dropped', () => {
  assert.deepEqual(loadConfig({ ...minimal, CLIENT_API_KEYS: ' a , b,,c ,' }).clientApiKeys, ['a', 'b', 'c']);
  onlyProblem({ ...minimal, CLIENT_API_KEYS: ' , ,' }, 'CLIENT_API_KEYS');
});

test('ALLOW_ANONYMOUS replaces the need for client keys', () => {
  const anonymous = { BACKEND_1_URL: 'https://one.openai.azure.com/' };
  for (const yes of ['true', 'TRUE', '1', 'yes', ' Yes ']) {
    const config = loadConfig({ ...anonymous, ALLOW_ANONYMOUS: yes });
    assert.equal(config.allowAnonymous, true, yes);
    assert.deepEqual(config.clientApiKeys, []);
  }
  for (const no of ['false', '0', 'no', '']) onlyProblem({ ...anonymous, ALLOW_ANONYMOUS: no }, 'CLIENT_API_KEYS');
  assert.equal(loadConfig({ ...minimal, ALLOW_ANONYMOUS: 'false' }).allowAnonymous, false);
  onlyProblem({ ...minimal, ALLOW_ANONYMOUS: 'on' }, 'ALLOW_ANONYMOUS');
});

test('numeric bounds', () => {
  const ok: [string, string, keyof ReturnType<typeof loadConfig>, number][] = [
    ['HTTP_TIMEOUT_SECONDS', '0.001', 'httpTimeoutMs', 1],
    ['HTTP_TIMEOUT_SECONDS', '600', 'httpTimeoutMs', 600_000],
    ['PORT', '65535', 'port', 65535],
    ['MAX_BODY_BYTES', '1', 'maxBodyBytes', 1],
    ['DEFAULT_COOLDOWN_SECONDS', '0', 'defaultCooldownMs', 0],
    ['MAX_COOLDOWN_SECONDS', '0.001', 'maxCooldownMs', 1],
    ['CIRCUIT_BASE_SECONDS', '0.25', 'circuitBaseMs', 250],
    ['REQUEST_WINDOW_SECONDS', '1', 'requestWindowMs', 1000],
    ['REQUEST_WINDOW_SECONDS', '0.5', 'requestWindowMs', 500],
  ];
  for (const [name, value, field, expected] of ok) assert.equal(loadConfig({ ...minimal, [name]: value })[field], expected, `${name}=${value}`);
  const bad: [string, string][] = [
    ['HTTP_TIMEOUT_SECONDS', '0'],
    ['HTTP_TIMEOUT_SECONDS', '-5'],
    ['HTTP_TIMEOUT_SECONDS', 'ten'],
    ['HTTP_TIMEOUT_SECONDS', 'Infinity'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['MAX_BODY_BYTES', '0'],
    ['DEFAULT_COOLDOWN_SECONDS', '-0.5'],
    ['MAX_COOLDOWN_SECONDS', '0'],
    ['CIRCUIT_BASE_SECONDS', '0'],
    ['REQUEST_WINDOW_SECONDS', '0'],
    ['REQUEST_WINDOW_SECONDS', 'ten'],
    ['REQUEST_WINDOW_SECONDS', '61'],
  ];
  for (const [name, value] of bad) assert.match(onlyProblem({ ...minimal, [name]: value }, name), new RegExp(`"${value}"`), `${name}=${value}`);
});

test('LOG_FORMAT: text or json only', () => {
  assert.equal(loadConfig({ ...minimal, LOG_FORMAT: 'Text' }).logFormat, 'text');
  onlyProblem({ ...minimal, LOG_FORMAT: 'pretty' }, 'LOG_FORMAT');
});

test('a backend URL with credentials is never echoed, whatever else is wrong with it', () => {
  for (const url of ['ftp://user:s3cret@x.example.com/', 'https://user:s3cret@x.openai.azure.com/', 'not a url //user:s3cret@host']) {
    try {
      loadConfig({ BACKEND_1_URL: url, ALLOW_ANONYMOUS: 'true' });
      assert.fail(`${url} was accepted`);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.problems.join('\n').includes('s3cret'), error.problems.join('\n'));
    }
  }
});

test('HOST: an IP address or a host name; a malformed dotted quad is a problem', () => {
  for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'balancer.internal', 'my-host-1']) {
    assert.equal(loadConfig({ ...minimal, HOST: host }).host, host);
  }
  for (const host of ['999.1.1.1', '1.2.3', 'bad host', 'a..b', '-lead.example', 'x'.repeat(64)]) {
    assert.deepEqual(problems({ ...minimal, HOST: host }), [
      `HOST: "${host}" is not an IP address or host name. Use 0.0.0.0 (every interface), 127.0.0.1 (this machine only) or another address of this machine.`,
    ]);
  }
});

test('CLIENT_AUTH=entra: no client keys needed, the tenant is, and the Entra settings are read', () => {
  const tenant = '11111111-2222-3333-4444-555555555555';
  const entra = loadConfig({
    BACKEND_1_URL: 'https://one.openai.azure.com/',
    CLIENT_AUTH: 'Entra',
    AZURE_TENANT_ID: tenant,
    ALLOWED_CLIENT_IDS: 'a, b',
    ALLOWED_TENANT_IDS: '66666666-2222-3333-4444-555555555555',
  });
  assert.equal(entra.clientAuth, 'entra');
  assert.deepEqual(entra.clientApiKeys, []);
  assert.deepEqual(entra.entra, {
    tenantIds: [tenant, '66666666-2222-3333-4444-555555555555'],
    audiences: ['https://cognitiveservices.azure.com'],
    allowedClientIds: ['a', 'b'],
    requiredRole: undefined,
    authorityHost: 'https://login.microsoftonline.com',
    clockSkewSeconds: 60,
    jwksCooldownSeconds: 30,
  });
  assert.equal(loadConfig({ ...minimal, CLIENT_AUTH: 'both', AZURE_TENANT_ID: tenant }).clientAuth, 'both');
  assert.deepEqual(problems({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_AUTH: 'entra' }), [
    'AZURE_TENANT_ID: not set. CLIENT_AUTH=entra needs the tenant whose tokens are accepted (a GUID, e.g. from `az account show --query tenantId`).',
  ]);
  assert.deepEqual(problems({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_AUTH: 'both', AZURE_TENANT_ID: 'contoso.com' }), [
    'CLIENT_API_KEYS: not set. Set it (or CLIENT_API_KEYS_FILE, a file holding them) to one or more comma-separated keys that clients must present, set CLIENT_AUTH=entra to accept Entra ID tokens instead, or set ALLOW_ANONYMOUS=true to let anyone who knows the URL use the balancer.',
    'AZURE_TENANT_ID: "contoso.com" is not a tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47).',
  ]);
  assert.deepEqual(problems({ ...minimal, CLIENT_AUTH: 'jwt' }), ['CLIENT_AUTH: "jwt" is not one of keys, entra, both.']);
  assert.match(
    problems({ ...minimal, CLIENT_AUTH: 'entra', AZURE_TENANT_ID: tenant, ALLOW_ANONYMOUS: 'true' })[0]!,
    /^ALLOW_ANONYMOUS: true turns client authentication off/,
  );
});

describe('secrets from files (CLIENT_API_KEYS_FILE, BACKEND_<n>_APIKEY_FILE), as Docker and Kubernetes mount them', () => {
  let dir: string;
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'aoai-lb-config-secrets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('CLIENT_API_KEYS_FILE: keys separated by commas or newlines; blank lines, surrounding whitespace, CRLF and a BOM ignored', () => {
    const keys = file('keys', '\uFEFF  key-one , key-two\r\n\n\tkey-three\n,\n  \nkey-four');
    const config = loadConfig({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS_FILE: ` ${keys} ` });
    assert.deepEqual(config.clientApiKeys, ['key-one', 'key-two', 'key-three', 'key-four']);
    assert.deepEqual(
      loadConfig({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS: ' ', CLIENT_API_KEYS_FILE: keys }).clientApiKeys.length,
      4,
      'a blank CLIENT_API_KEYS is not set',
    );
  });

  test('BACKEND_<n>_APIKEY_FILE: the file holds the key (trailing newline trimmed); the name is case-insensitive like the others', () => {
    const one = file('backend-1.key', 'sk-backend-one\n');
    const two = file('backend-2.key', '  sk-backend-two  ');
    const config = loadConfig({
      ...minimal,
      BACKEND_1_APIKEY_FILE: one,
      backend_2_url: 'https://two.openai.azure.com/',
      Backend_2_ApiKey_File: two,
      BACKEND_3_URL: 'https://three.openai.azure.com/',
      BACKEND_3_APIKEY: 'sk-direct',
    });
    assert.deepEqual(
      config.backends.map((b) => [b.id, b.apiKey]),
      [
        ['1', 'sk-backend-one'],
        ['2', 'sk-backend-two'],
        ['3', 'sk-direct'],
      ],
    );
  });

  test('both forms of one setting: one problem naming both variables, never the values', () => {
    const keys = file('both-keys', 'file-key-secret');
    const clientBoth = onlyProblem(
      { BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS: 'env-key-secret', CLIENT_API_KEYS_FILE: keys },
      'CLIENT_API_KEYS_FILE',
    );
    assert.match(clientBoth, /CLIENT_API_KEYS_FILE: set together with CLIENT_API_KEYS; set only one of them/);
    const backendBoth = onlyProblem({ ...minimal, BACKEND_1_APIKEY: 'env-key-secret', BACKEND_1_APIKEY_FILE: keys }, 'BACKEND_1_APIKEY_FILE');
    assert.match(backendBoth, /BACKEND_1_APIKEY_FILE: set together with BACKEND_1_APIKEY;/);
    for (const line of [clientBoth, backendBoth]) assert.ok(!/(env|file)-key-secret/.test(line), line);
  });

  test('a file that cannot be read: a problem naming the variable and the path', () => {
    const missing = join(dir, 'no-such-file');
    assert.equal(
      onlyProblem({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS_FILE: missing }, 'CLIENT_API_KEYS_FILE'),
      `CLIENT_API_KEYS_FILE: cannot read "${missing}": no such file.`,
    );
    assert.equal(
      onlyProblem({ ...minimal, BACKEND_1_APIKEY_FILE: dir }, 'BACKEND_1_APIKEY_FILE'),
      `BACKEND_1_APIKEY_FILE: cannot read "${dir}": it is a directory.`,
    );
    // Even with ALLOW_ANONYMOUS a file that was named and cannot be read is a problem, and the only one.
    onlyProblem({ BACKEND_1_URL: 'https://one.openai.azure.com/', ALLOW_ANONYMOUS: 'true', CLIENT_API_KEYS_FILE: missing }, 'CLIENT_API_KEYS_FILE');
  });

  test('files that hold no usable secret are problems that never show the content', () => {
    const blank = file('blank', ' \n\n , \n');
    assert.match(onlyProblem({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS_FILE: blank }, 'CLIENT_API_KEYS_FILE'), /holds no keys/);
    assert.equal(loadConfig({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS_FILE: blank, ALLOW_ANONYMOUS: 'true' }).clientApiKeys.length, 0);
    assert.match(onlyProblem({ ...minimal, BACKEND_1_APIKEY_FILE: file('blank-key', '\n  \n') }, 'BACKEND_1_APIKEY_FILE'), /is empty/);
    const twoLines = file('two-lines', 'sk-line-one-secret\nsk-line-two-secret\n');
    const multi = onlyProblem({ ...minimal, BACKEND_1_APIKEY_FILE: twoLines }, 'BACKEND_1_APIKEY_FILE');
    assert.match(multi, /holds more than one line/);
    const huge = file('huge', Buffer.alloc(64 * 1024 + 1, 'x'));
    const large = onlyProblem({ BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS_FILE: huge }, 'CLIENT_API_KEYS_FILE');
    assert.match(large, /is larger than 64 KiB/);
    for (const line of [multi, large]) assert.ok(!/sk-line|xxxx/.test(line), line);
  });

  test('every problem at once: file problems alongside the others, one line each', () => {
    const found = problems({
      BACKEND_1_URL: 'https://one.openai.azure.com/',
      BACKEND_1_APIKEY_FILE: join(dir, 'missing-1'),
      BACKEND_2_URL: 'not a url',
      CLIENT_API_KEYS_FILE: join(dir, 'missing-2'),
      PORT: 'x',
    });
    assert.deepEqual(found.map((line) => line.split(':')[0]).sort(), ['BACKEND_1_APIKEY_FILE', 'BACKEND_2_URL', 'CLIENT_API_KEYS_FILE', 'PORT']);
    for (const line of found) assert.ok(!line.includes('\n'), line);
  });
});
