// Hostile input, family "headers": 52 cases (counted by the last test's diagnostic).
// Oversized blocks, 10k headers, invalid names and values, duplicate and odd credentials, Host variants,
// hop-by-hop abuse (Connection naming other headers), Expect, request ids.
import assert from 'node:assert/strict';
import { backendKey, chatBody, chatPath, chatUpstream, clientKey, describeHostile, raw, req, type HostileCase, type Status } from './harness.js';

const length = Buffer.byteLength(chatBody);
/** A chat POST with these header lines (no credential unless given), Connection: close. */
const chat = (lines: string[], body = chatBody): string =>
  raw(
    [
      `POST ${chatPath} HTTP/1.1`,
      'Host: lb.test',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
      'Connection: close',
      ...lines,
    ],
    body,
  );
const keyed = (lines: string[]): string => chat([`api-key: ${clientKey}`, ...lines]);
const refused: Status[] = [400, 'closed'];
const tooLarge: Status[] = [431, 400, 'closed'];
const passed = { status: [200] as Status[], reached: 1, upstream: chatUpstream };
const unauthorized = { status: [401] as Status[], json: true };
/** Either answer is defensible for an ambiguous credential; what matters is that no client credential is forwarded. */
const ambiguous = { status: [200, 401] as Status[], reached: 'any' as const };
const without =
  (...names: string[]) =>
  (_o: unknown, requests: Array<{ headers: Record<string, unknown> }>): void => {
    assert.equal(requests.length, 1);
    for (const name of names) assert.equal(requests[0]!.headers[name], undefined, `${name} reached the backend`);
  };
const base64 = (text: string): string => Buffer.from(text).toString('base64');
const manyHeaders = (count: number): string[] => Array.from({ length: count }, (_, i) => `X-H${i}: v`);

const cases: HostileCase[] = [
  // size
  { name: 'one header of 20 KB', send: keyed([`X-Big: ${'a'.repeat(20_000)}`]), expect: { status: tooLarge } },
  {
    name: 'header block of 64 KB in 8 KB headers',
    send: keyed(Array.from({ length: 8 }, (_, i) => `X-Big${i}: ${'b'.repeat(8000)}`)),
    expect: { status: tooLarge },
  },
  { name: '10,000 headers', send: keyed(manyHeaders(10_000)), expect: { status: tooLarge } },
  { name: '10,000 headers with the key last', send: chat([...manyHeaders(10_000), `api-key: ${clientKey}`]), expect: { status: tooLarge } },
  {
    name: '1,500 small headers (under the size limit)',
    send: keyed(Array.from({ length: 1500 }, (_, i) => `h${i}:`)),
    expect: { status: [200, 431, 400, 'closed'], reached: 'any' },
  },
  // invalid names and values
  { name: 'header name with a space', send: keyed(['Bad Header: x']), expect: { status: refused } },
  { name: 'header name with a parenthesis', send: keyed(['X-(bad): x']), expect: { status: refused } },
  { name: 'header name with an @', send: keyed(['X@bad: x']), expect: { status: refused } },
  { name: 'header name of UTF-8 bytes', send: Buffer.from(keyed(['X-Ünï: x']), 'utf8'), expect: { status: refused } },
  { name: 'empty header name', send: keyed([': x']), expect: { status: refused } },
  { name: 'header line without a colon', send: keyed(['X-No-Colon']), expect: { status: refused } },
  { name: 'header value with a control character (0x01)', send: keyed(['X-Ctl: a\u0001b']), expect: { status: refused } },
  { name: 'header value with DEL (0x7f)', send: keyed(['X-Del: a\u007fb']), expect: { status: [200, 400, 'closed'], reached: 'any' } },
  { name: 'header value with ESC sequences', send: keyed(['X-Esc: \u001b[2J\u001b[31mred']), expect: { status: refused } },
  {
    name: 'header value of obs-text bytes (0x80-0xff)',
    send: keyed(['X-Latin: caf\u00e9 \u00ff\u0080']),
    expect: { status: [200, 400, 'closed'], reached: 'any' },
  },
  {
    name: 'header value of raw UTF-8 including U+2028',
    send: Buffer.from(keyed(['X-Utf8: a\u2028b\u2029c']), 'utf8'),
    expect: { status: [200, 400, 'closed'], reached: 'any' },
  },
  // credentials
  { name: 'two api-key headers, both the right key', send: chat([`api-key: ${clientKey}`, `api-key: ${clientKey}`]), expect: ambiguous },
  { name: 'two api-key headers, right then wrong', send: chat([`api-key: ${clientKey}`, 'api-key: wrong']), expect: unauthorized },
  { name: 'two api-key headers, wrong then right', send: chat(['api-key: wrong', `api-key: ${clientKey}`]), expect: unauthorized },
  { name: 'api-key list "wrong, key"', send: chat([`api-key: wrong, ${clientKey}`]), expect: unauthorized },
  { name: 'wrong api-key, right bearer', send: chat(['api-key: wrong', `Authorization: Bearer ${clientKey}`]), expect: ambiguous },
  { name: 'right api-key, wrong bearer', send: chat([`api-key: ${clientKey}`, 'Authorization: Bearer wrong']), expect: ambiguous },
  { name: 'empty api-key, right bearer', send: chat(['api-key:', `Authorization: Bearer ${clientKey}`]), expect: passed },
  { name: 'Authorization: Basic with the key as password', send: chat([`Authorization: Basic ${base64(`user:${clientKey}`)}`]), expect: unauthorized },
  { name: 'Authorization: Basic with the key alone', send: chat([`Authorization: Basic ${base64(clientKey)}`]), expect: unauthorized },
  { name: 'Authorization: bearer in lower case', send: chat([`Authorization: bearer ${clientKey}`]), expect: ambiguous },
  { name: 'Authorization: Bearer with no token', send: chat(['Authorization: Bearer']), expect: unauthorized },
  { name: 'Authorization: two bearer tokens in one value', send: chat([`Authorization: Bearer ${clientKey}, Bearer other`]), expect: unauthorized },
  { name: 'Authorization: BearerKEY without a space', send: chat([`Authorization: Bearer${clientKey}`]), expect: unauthorized },
  { name: 'two Authorization headers, wrong first', send: chat(['Authorization: Bearer wrong', `Authorization: Bearer ${clientKey}`]), expect: unauthorized },
  { name: 'two Authorization headers, right first', send: chat([`Authorization: Bearer ${clientKey}`, 'Authorization: Bearer wrong']), expect: ambiguous },
  { name: 'api-key in upper case', send: chat([`api-key: ${clientKey.toUpperCase()}`]), expect: unauthorized },
  { name: 'api-key with a suffix', send: chat([`api-key: ${clientKey}x`]), expect: unauthorized },
  { name: 'api-key, a prefix of the key', send: chat([`api-key: ${clientKey.slice(0, -1)}`]), expect: unauthorized },
  { name: 'api-key header name in mixed case', send: chat([`API-Key: ${clientKey}`]), expect: passed },
  { name: 'key only in Proxy-Authorization', send: chat([`Proxy-Authorization: Bearer ${clientKey}`]), expect: unauthorized },
  {
    name: 'Proxy-Authorization with a key is not forwarded',
    send: keyed([`Proxy-Authorization: Bearer ${clientKey}`]),
    expect: { ...passed, check: without('proxy-authorization') },
  },
  // hop-by-hop abuse
  {
    name: 'Connection: api-key (the backend still gets its own key)',
    send: chat([`api-key: ${clientKey}`, 'Connection: api-key']),
    expect: { ...passed, check: (_o, requests) => assert.equal(requests[0]?.headers['api-key'], backendKey) },
  },
  { name: 'Connection: authorization with a bearer key', send: chat([`Authorization: Bearer ${clientKey}`, 'Connection: authorization']), expect: passed },
  {
    name: 'Connection: content-length, host, x-forwarded-for',
    send: keyed(['Connection: content-length, host, x-forwarded-for']),
    expect: { ...passed, check: (_o, requests) => assert.equal(requests[0]?.body.toString(), chatBody) },
  },
  {
    name: 'Connection naming a custom header',
    send: keyed(['Connection: close, x-hop-secret', 'X-Hop-Secret: s']),
    expect: { ...passed, check: without('x-hop-secret') },
  },
  {
    name: 'Keep-Alive, Proxy-Connection, TE and Trailer headers',
    send: keyed(['Keep-Alive: timeout=99999', 'Proxy-Connection: keep-alive', 'TE: trailers', 'Trailer: api-key']),
    expect: passed,
  },
  {
    name: 'Transfer-Encoding: identity, chunked',
    send: raw(
      [
        `POST ${chatPath} HTTP/1.1`,
        'Host: lb.test',
        `api-key: ${clientKey}`,
        'Content-Type: application/json',
        'Transfer-Encoding: identity, chunked',
        'Connection: close',
      ],
      `${length.toString(16)}\r\n${chatBody}\r\n0\r\n\r\n`,
    ),
    expect: { status: [200, 400, 501, 'closed'], reached: 'any' },
  },
  // Host
  { name: 'no Host on HTTP/1.1', send: raw([`GET ${chatPath} HTTP/1.1`, `api-key: ${clientKey}`, 'Connection: close']), expect: { status: refused } },
  {
    name: 'two Host headers',
    send: raw([`GET ${chatPath} HTTP/1.1`, 'Host: a.test', 'Host: b.test', `api-key: ${clientKey}`, 'Connection: close']),
    expect: { status: [200, 400, 'closed'], reached: 'any' },
  },
  {
    name: 'Host with userinfo pointing elsewhere',
    send: req('GET', chatPath, []).replace('Host: lb.test', 'Host: evil.test:443@127.0.0.1'),
    expect: { status: [200, 400], reached: 'any', check: (_o, requests) => assert.ok(requests.every((r) => String(r.headers.host).startsWith('127.0.0.1:'))) },
  },
  {
    name: 'Host of 8 KB',
    send: req('GET', chatPath, []).replace('Host: lb.test', `Host: ${'h'.repeat(8000)}.test`),
    expect: { status: [200, 400, 431, 'closed'], reached: 'any' },
  },
  { name: 'empty Host', send: req('GET', chatPath, []).replace('Host: lb.test', 'Host:'), expect: { status: [200, 400, 'closed'], reached: 'any' } },
  // Expect and request ids
  {
    name: 'Expect: 100-continue, body sent after the 100',
    send: [
      raw([
        `POST ${chatPath} HTTP/1.1`,
        'Host: lb.test',
        `api-key: ${clientKey}`,
        'Content-Type: application/json',
        `Content-Length: ${length}`,
        'Expect: 100-continue',
        'Connection: close',
      ]),
      { until: /^HTTP\/1\.1 100/ },
      chatBody,
    ],
    expect: passed,
  },
  {
    name: 'Expect: 100-continue with a wrong key: 401 without the body',
    send: raw([
      `POST ${chatPath} HTTP/1.1`,
      'Host: lb.test',
      'api-key: wrong',
      'Content-Type: application/json',
      'Content-Length: 100000',
      'Expect: 100-continue',
    ]),
    expect: { status: [401], json: true, closes: true },
  },
  { name: 'Expect: an unknown expectation', send: keyed(['Expect: 999-bogus']), expect: { status: [417, 400, 'closed'] } },
  {
    name: 'request id of 10 KB with quotes and =',
    send: keyed([`x-ms-client-request-id: "${'r'.repeat(10_000)}" status=999`]),
    expect: { ...passed, check: (_o, _r, logs) => assert.ok(!logs.includes('rrrrrrrrrr') && !/ status=999/.test(logs)) },
  },
];

describeHostile('hostile input: headers', { env: { CLIENT_HEADER_TIMEOUT_SECONDS: '2', CLIENT_BODY_TIMEOUT_SECONDS: '1' } }, cases);
