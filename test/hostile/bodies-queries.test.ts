// Hostile input, families "query" and "body", with LOG_FORMAT=json: 60 cases (counted by the last test's
// diagnostic). api-key in the query in many encodings, secrets and CR/LF in api-version, long queries;
// invalid JSON under odd media types, deep nesting, huge numbers, v1 models of the wrong type or with
// control characters, a body of exactly MAX_BODY_BYTES (the refusals over it: slow-clients.test.ts).
import assert from 'node:assert/strict';
import { chatBody, clientKey, describeHostile, prefix, raw, req, secret, type Expect, type HostileCase, type Status } from './harness.js';

const maxBody = 300_000;
const chat = '/openai/deployments/chat/chat/completions';
const v1 = '/openai/v1/chat/completions';
const version = 'api-version=2024-10-21';
const get = (target: string, extra: string[] = []): string => req('GET', target, extra);
/** A POST with this body and content type. */
const postAs = (target: string, body: string | Buffer, contentType: string | undefined, extra: string[] = []): Buffer => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [`POST ${target} HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`, 'Connection: close', `Content-Length: ${bytes.length}`, ...extra];
  if (contentType !== undefined) lines.push(`Content-Type: ${contentType}`);
  return Buffer.concat([Buffer.from(raw(lines), 'latin1'), bytes]);
};
const json = (target: string, body: string | Buffer): Buffer => postAs(target, body, 'application/json');
/** Forwarded with exactly this URL. */
const to = (path: string, extra: Partial<Expect> = {}): Expect => ({ status: [200], reached: 1, upstream: `${prefix}${path}`, ...extra });
const invalidJson: Expect = { status: [400], json: true, check: (o) => assert.match(o.responses[0]!.body, /not valid JSON/) };
const safe = { status: [200, 400] as Status[], reached: 'any' as const };
/** The JSON log's line for this attempt: api-version shown as expected, the secret never. */
const loggedVersion =
  (shown: string) =>
  (_o: unknown, _r: unknown, logs: string): void => {
    const line = logs.split('\n').find((entry) => entry.includes('Proxying to'));
    assert.ok(line, logs);
    const message = (JSON.parse(line) as { msg: string }).msg;
    assert.ok(message.endsWith(shown === '' ? '/chat/completions' : `?api-version=${shown}`), message);
  };
const deploymentLogged =
  (expected: string) =>
  (_o: unknown, _r: unknown, logs: string): void => {
    const entries = logs
      .split('\n')
      .filter((line) => line.includes('Proxying to'))
      .map((line) => JSON.parse(line) as { deployment: string });
    assert.deepEqual(
      entries.map((entry) => entry.deployment),
      [expected],
    );
  };
const nested = (depth: number, open: string, close: string, inner = '1'): string => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

const keyInQuery: Array<[string, string]> = [
  ['api-key', 'plain'],
  ['API-KEY', 'upper case'],
  ['Api-Key', 'mixed case'],
  ['api%2Dkey', '%2D'],
  ['api%2dkey', '%2d'],
  ['%61%70%69%2d%6b%65%79', 'fully percent-encoded'],
  ['api-key%20', 'trailing %20'],
  ['+api-key', 'leading +'],
  ['%20API-key%09', 'spaces and a tab'],
];

const cases: HostileCase[] = [
  // api-key in the query
  ...keyInQuery.map(([name, label]): HostileCase => ({
    name: `api-key in the query: ${label}`,
    send: get(`${chat}?${version}&${name}=${clientKey}`),
    expect: to(`${chat}?${version}`),
  })),
  {
    name: 'api-key in the query with a percent-encoded value',
    send: get(`${chat}?api-key=${encodeURIComponent(clientKey).replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}&${version}`),
    expect: to(`${chat}?${version}`),
  },
  { name: 'api-key twice in the query', send: get(`${chat}?api-key=${clientKey}&${version}&api-key=other`), expect: to(`${chat}?${version}`) },
  { name: 'api-key without a value, between empty pairs', send: get(`${chat}?&&api-key&&${version}&&`), expect: to(`${chat}?&&&${version}&&`) },
  {
    name: 'only the query carries the key: 401',
    send: raw([`GET ${chat}?${version}&api-key=${clientKey} HTTP/1.1`, 'Host: lb.test', 'Connection: close']),
    expect: { status: [401], json: true },
  },
  { name: 'api-key in the query on a v1 GET', send: get(`/openai/v1/models?api-key=${clientKey}`), expect: to('/openai/v1/models') },
  // secrets and injection in the query, kept out of the log
  {
    name: 'api-version with ;token= appended',
    send: get(`${chat}?api-version=2024-10-21;token=${secret}`),
    expect: to(`${chat}?api-version=2024-10-21;token=${secret}`, { check: loggedVersion('(invalid)') }),
  },
  {
    name: 'secret in another query parameter',
    send: get(`${chat}?${version}&sig=${secret}`),
    expect: to(`${chat}?${version}&sig=${secret}`, { check: loggedVersion('2024-10-21') }),
  },
  {
    name: 'api-version that is the secret',
    send: get(`${chat}?api-version=${secret}`),
    expect: to(`${chat}?api-version=${secret}`, { check: loggedVersion('(invalid)') }),
  },
  {
    name: 'api-version with %0d%0a and a forged line',
    send: get(`${chat}?api-version=2024-10-21%0d%0a{"level":"info","msg":"FORGED"}`),
    expect: { status: [200], reached: 1, check: loggedVersion('(invalid)') },
  },
  {
    name: 'api-version twice, the second a secret',
    send: get(`${chat}?${version}&api-version=${secret}`),
    expect: to(`${chat}?${version}&api-version=${secret}`, { check: loggedVersion('2024-10-21') }),
  },
  {
    name: 'query of 12 KB ending in a secret',
    send: get(`${chat}?${version}&pad=${'q'.repeat(12_000)}&s=${secret}`),
    expect: { status: [200], reached: 1, check: (_o, _r, logs) => assert.ok(!logs.includes('qqqq')) },
  },
  { name: 'query of 20 KB', send: get(`${chat}?${version}&pad=${'q'.repeat(20_000)}`), expect: { status: [414, 431, 400, 'closed'] } },
  { name: 'query of 2,000 parameters', send: get(`${chat}?${version}${'&a=1'.repeat(2000)}`), expect: to(`${chat}?${version}${'&a=1'.repeat(2000)}`) },
  // JSON bodies that do not parse
  { name: 'invalid JSON as Application/JSON', send: postAs(`${chat}?${version}`, '{"messages": [', 'Application/JSON'), expect: invalidJson },
  {
    name: 'invalid JSON as application/json; charset=UTF-8',
    send: postAs(`${chat}?${version}`, '{bad}', 'application/json; charset=UTF-8'),
    expect: invalidJson,
  },
  {
    name: 'invalid JSON as APPLICATION/JSON with a space before ;',
    send: postAs(`${chat}?${version}`, '{bad}', 'APPLICATION/JSON ;charset=utf-8'),
    expect: invalidJson,
  },
  { name: 'invalid JSON as application/vnd.api+json', send: postAs(`${chat}?${version}`, '{bad}', 'application/vnd.api+json'), expect: invalidJson },
  { name: 'invalid JSON on a v1 route', send: json(v1, '{"model":"chat",'), expect: invalidJson },
  { name: 'JSON with trailing garbage', send: json(`${chat}?${version}`, '{} trailing'), expect: invalidJson },
  { name: 'JSON of a lone NUL', send: json(`${chat}?${version}`, '\0'), expect: invalidJson },
  {
    name: 'invalid JSON as text/plain is forwarded as it is',
    send: postAs(`${chat}?${version}`, '{bad}', 'text/plain'),
    expect: to(`${chat}?${version}`, { check: (_o, requests) => assert.equal(requests[0]?.body.toString(), '{bad}') }),
  },
  { name: 'invalid JSON without a Content-Type is forwarded', send: postAs(`${chat}?${version}`, '{bad}', undefined), expect: to(`${chat}?${version}`) },
  { name: 'JSON behind a byte-order mark', send: json(`${chat}?${version}`, `\ufeff${chatBody}`), expect: safe },
  {
    name: 'invalid UTF-8 inside a JSON string is forwarded byte for byte',
    send: json(
      `${chat}?${version}`,
      Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"'), Buffer.from([0xc0, 0xae, 0xff, 0xfe]), Buffer.from('"}]}')]),
    ),
    expect: to(`${chat}?${version}`, { check: (_o, requests) => assert.ok(requests[0]?.body.includes(Buffer.from([0xc0, 0xae, 0xff, 0xfe]))) }),
  },
  // nesting and numbers
  { name: '100,000 nested arrays', send: json(`${chat}?${version}`, nested(100_000, '[', ']')), expect: safe },
  { name: '40,000 nested objects', send: json(`${chat}?${version}`, nested(40_000, '{"a":', '}')), expect: safe },
  {
    name: '40,000 nested objects on a v1 route',
    send: json(v1, `{"model":"chat","x":${nested(40_000, '{"a":', '}')}}`),
    expect: { ...safe, check: deploymentLogged('chat') },
  },
  { name: 'max_tokens 1e400 (Infinity)', send: json(`${chat}?${version}`, '{"messages":[],"max_tokens":1e400}'), expect: to(`${chat}?${version}`) },
  {
    name: 'max_tokens and n of 1e308 (product overflows)',
    send: json(`${chat}?${version}`, '{"messages":[],"max_tokens":1e308,"n":1e308,"best_of":1e308}'),
    expect: to(`${chat}?${version}`),
  },
  {
    name: 'negative and fractional max_tokens',
    send: json(`${chat}?${version}`, '{"messages":[],"max_tokens":-1e308,"n":-0.5}'),
    expect: to(`${chat}?${version}`),
  },
  {
    name: 'a number of 100,000 digits',
    send: json(`${chat}?${version}`, `{"messages":[],"max_tokens":${'9'.repeat(100_000)}}`),
    expect: to(`${chat}?${version}`),
  },
  {
    name: 'input of 200,000 characters for the token estimate',
    send: json('/openai/deployments/emb/embeddings?api-version=2024-10-21', `{"input":["${'w'.repeat(200_000)}"]}`),
    expect: to('/openai/deployments/emb/embeddings?api-version=2024-10-21'),
  },
  {
    name: '__proto__ and constructor keys',
    send: json(v1, '{"__proto__":{"model":"evil"},"constructor":{"prototype":{"model":"evil"}},"model":"chat"}'),
    expect: { ...safe, check: deploymentLogged('chat') },
  },
  { name: 'duplicate model keys', send: json(v1, '{"model":"first","model":"chat"}'), expect: { ...safe, check: deploymentLogged('chat') } },
  // v1 model of the wrong type or with control characters
  ...(['1', '[]', '["chat"]', '{}', 'null', 'true', '""', '1e400'] as const).map((model): HostileCase => ({
    name: `v1 model ${model}`,
    send: json(v1, `{"model":${model},"messages":[]}`),
    expect: safe,
  })),
  { name: 'v1 body that is a JSON array', send: json(v1, '[{"model":"chat"}]'), expect: safe },
  { name: 'v1 body that is a JSON string', send: json(v1, '"chat"'), expect: safe },
  { name: 'v1 model of 10 KB', send: json(v1, JSON.stringify({ model: 'm'.repeat(10_000) })), expect: safe },
  {
    name: 'v1 model with CR LF and a forged JSON line',
    send: json(v1, JSON.stringify({ model: 'chat\r\n{"level":"info","msg":"FORGED"}' })),
    expect: { ...safe, check: deploymentLogged('chat\r\n{"level":"info","msg":"FORGED"}') },
  },
  {
    name: 'v1 model with NUL and ESC',
    send: json(v1, JSON.stringify({ model: 'a\u0000b\u001b[2J' })),
    expect: { ...safe, check: deploymentLogged('a\u0000b\u001b[2J') },
  },
  { name: 'v1 model with U+2028 and U+2029', send: json(v1, JSON.stringify({ model: 'a\u2028b\u2029c' })), expect: safe },
  { name: 'v1 model with the C1 control NEL (U+0085)', send: json(v1, JSON.stringify({ model: 'a\u0085b' })), expect: safe },
  { name: 'v1 model that climbs (../../x) stays in the body', send: json(v1, JSON.stringify({ model: '../../x' })), expect: to(v1) },
  // sizes
  {
    name: 'body of exactly MAX_BODY_BYTES',
    send: json(`${chat}?${version}`, `{"messages":[],"p":"${'p'.repeat(maxBody - 22)}"}`),
    expect: to(`${chat}?${version}`),
  },
];

describeHostile(
  'hostile input: queries and bodies (JSON logs)',
  { env: { LOG_FORMAT: 'json', MAX_BODY_BYTES: String(maxBody), CLIENT_HEADER_TIMEOUT_SECONDS: '2', CLIENT_BODY_TIMEOUT_SECONDS: '1' } },
  cases,
  'json',
);
