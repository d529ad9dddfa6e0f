// Hostile input, family "framing and smuggling": 48 cases (counted by the last test's diagnostic).
// CL+TE, duplicate and malformed Content-Length, chunk sizes and extensions, line endings, obs-fold, NUL.
// The real balancer as a child process; raw sockets; see harness.ts for the checks after every case.
import assert from 'node:assert/strict';
import { chatBody, chatPath, chatUpstream, clientKey, describeHostile, raw, type HostileCase, type Status } from './harness.js';

const length = Buffer.byteLength(chatBody);
const hex = length.toString(16);
/** POST headers for the chat route with Connection: close, then `extra`. */
const head = (extra: string[], first = `POST ${chatPath} HTTP/1.1`): string[] => [
  first,
  'Host: lb.test',
  `api-key: ${clientKey}`,
  'Content-Type: application/json',
  'Connection: close',
  ...extra,
];
/** The same, keep-alive: what a smuggler uses so that a second request would be read from the body. */
const headKeepAlive = (extra: string[]): string[] => [
  `POST ${chatPath} HTTP/1.1`,
  'Host: lb.test',
  `api-key: ${clientKey}`,
  'Content-Type: application/json',
  ...extra,
];
const chunked = `${hex}\r\n${chatBody}\r\n0\r\n\r\n`;
const smuggled = raw(['GET /smuggled HTTP/1.1', 'Host: lb.test', `api-key: ${clientKey}`]);
const refused: Status[] = [400, 'closed'];
/** Accepted as one well-framed request, or refused: both safe; never two requests. */
const oneOrRefused = { status: [200, 400, 'closed'] as Status[], reached: 'any' as const, check: atMostOne };

function atMostOne(_outcome: unknown, requests: Array<{ body: Buffer }>): void {
  assert.ok(requests.length <= 1, `one request became ${requests.length}`);
  for (const request of requests) assert.equal(request.body.toString('latin1'), chatBody, 'the body the backend got');
}

const cases: HostileCase[] = [
  // Content-Length and Transfer-Encoding together
  {
    name: 'CL then TE: chunked',
    send: raw(headKeepAlive([`Content-Length: ${chunked.length}`, 'Transfer-Encoding: chunked']), chunked),
    expect: { status: refused },
  },
  {
    name: 'TE: chunked then CL',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked', `Content-Length: ${chunked.length}`]), chunked),
    expect: { status: refused },
  },
  {
    name: 'CL.TE smuggling: CL covers a smuggled GET',
    send: raw(headKeepAlive(['Content-Length: 5', 'Transfer-Encoding: chunked']), `0\r\n\r\n${smuggled}`),
    expect: { status: refused },
  },
  {
    name: 'TE.CL smuggling: chunk holds a smuggled GET',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked', 'Content-Length: 4']), `${Buffer.byteLength(smuggled).toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'CL with TE obs-folded onto the next line',
    send: raw(headKeepAlive([`Content-Length: ${length}`, 'Transfer-Encoding:', ' chunked']), chatBody),
    expect: { status: refused },
  },
  {
    name: 'CL with TE hidden behind a space before the colon',
    send: raw(headKeepAlive([`Content-Length: ${length}`, 'Transfer-Encoding : chunked']), chatBody),
    expect: { status: refused },
  },
  {
    name: 'CL with TE: xchunked',
    send: raw(headKeepAlive([`Content-Length: ${length}`, 'Transfer-Encoding: xchunked']), chatBody),
    expect: { status: [400, 501, 'closed'] },
  },
  // Content-Length values
  { name: 'duplicate Content-Length, same value', send: raw(head([`Content-Length: ${length}`, `Content-Length: ${length}`]), chatBody), expect: oneOrRefused },
  {
    name: 'duplicate Content-Length, conflicting values',
    send: raw(headKeepAlive([`Content-Length: ${length}`, 'Content-Length: 5']), chatBody),
    expect: { status: refused },
  },
  { name: 'Content-Length list with one value twice', send: raw(head([`Content-Length: ${length}, ${length}`]), chatBody), expect: oneOrRefused },
  { name: 'Content-Length list with conflicting values', send: raw(headKeepAlive([`Content-Length: ${length}, 5`]), chatBody), expect: { status: refused } },
  { name: 'negative Content-Length', send: raw(headKeepAlive(['Content-Length: -1']), chatBody), expect: { status: refused } },
  {
    name: 'Content-Length 2^64+1 (overflow)',
    send: raw(headKeepAlive(['Content-Length: 18446744073709551617']), chatBody),
    expect: { status: [400, 413, 'closed'] },
  },
  {
    name: 'Content-Length of 30 digits',
    send: raw(headKeepAlive(['Content-Length: 999999999999999999999999999999']), chatBody),
    expect: { status: [400, 413, 'closed'] },
  },
  { name: 'hex Content-Length', send: raw(headKeepAlive([`Content-Length: 0x${hex}`]), chatBody), expect: { status: refused } },
  { name: 'Content-Length padded with spaces and tabs (valid OWS)', send: raw(head([`Content-Length: \t ${length} \t`]), chatBody), expect: oneOrRefused },
  {
    name: 'Content-Length with a space inside the number',
    send: raw(headKeepAlive([`Content-Length: ${String(length).split('').join(' ')}`]), chatBody),
    expect: { status: refused },
  },
  { name: 'Content-Length with a plus sign', send: raw(headKeepAlive([`Content-Length: +${length}`]), chatBody), expect: { status: refused } },
  { name: 'Content-Length with a decimal point', send: raw(headKeepAlive([`Content-Length: ${length}.0`]), chatBody), expect: { status: refused } },
  { name: 'Content-Length in exponent notation', send: raw(headKeepAlive(['Content-Length: 4.6e1']), chatBody), expect: { status: refused } },
  { name: 'empty Content-Length', send: raw(headKeepAlive(['Content-Length:']), chatBody), expect: { status: refused } },
  {
    name: 'Content-Length larger than the body, then the client half-closes',
    send: [raw(head(['Content-Length: 500']), chatBody), { end: true }],
    expect: { status: [400, 408, 'closed'] },
  },
  // chunked bodies
  {
    name: 'chunk size that overflows 64 bits',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `fffffffffffffffffff\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: [400, 413, 'closed'] },
  },
  {
    name: 'chunk size just under 2^64',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `ffffffffffffffff\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: [400, 408, 413, 'closed'] },
  },
  { name: 'negative chunk size', send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `-1\r\n${chatBody}\r\n0\r\n\r\n`), expect: { status: refused } },
  {
    name: 'chunk size with 0x prefix',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `0x${hex}\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'chunk size with leading spaces',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `  ${hex}\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'chunk extension holding a NUL',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `${hex};a=\0\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'chunk extension with an unterminated quote',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `${hex};a="x\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'chunk extension ended by a bare LF',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `${hex};a=b\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'chunk extension of 40 KB',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `${hex};a=${'x'.repeat(40_000)}\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: [400, 413, 'closed'] },
  },
  {
    name: 'missing final chunk: 408 after CLIENT_BODY_TIMEOUT_SECONDS and closed',
    send: raw(head(['Transfer-Encoding: chunked']), `${hex}\r\n${chatBody}\r\n`),
    expect: { status: [408], json: true, closes: true },
  },
  {
    name: 'chunk data longer than its size',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `2\r\n${chatBody}\r\n0\r\n\r\n`),
    expect: { status: refused },
  },
  {
    name: 'chunk data without its CRLF',
    send: raw(headKeepAlive(['Transfer-Encoding: chunked']), `${hex}\r\n${chatBody}0\r\n\r\n`),
    expect: { status: refused },
  },
  { name: 'Transfer-Encoding: chunked, identity', send: raw(headKeepAlive(['Transfer-Encoding: chunked, identity']), chunked), expect: { status: refused } },
  { name: 'Transfer-Encoding: identity alone', send: raw(headKeepAlive(['Transfer-Encoding: identity']), chatBody), expect: { status: [400, 501, 'closed'] } },
  {
    name: 'Transfer-Encoding: chunked twice in two headers',
    send: raw(head(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']), chunked),
    expect: oneOrRefused,
  },
  {
    name: 'Transfer-Encoding: Chunked in capitals (valid)',
    send: raw(head(['Transfer-Encoding: CHUNKED']), chunked),
    expect: { status: [200], reached: 1, upstream: chatUpstream, check: atMostOne },
  },
  {
    name: 'Transfer-Encoding: chunked on an HTTP/1.0 request',
    send: raw(head(['Transfer-Encoding: chunked'], `POST ${chatPath} HTTP/1.0`), chunked),
    expect: { ...oneOrRefused, closes: true },
  },
  {
    name: 'key only in a chunked trailer',
    send: raw(
      [`POST ${chatPath} HTTP/1.1`, 'Host: lb.test', 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Trailer: api-key', 'Connection: close'],
      `${hex}\r\n${chatBody}\r\n0\r\napi-key: ${clientKey}\r\n\r\n`,
    ),
    expect: { status: [401], json: true },
  },
  {
    name: 'trailer fields after the last chunk are not forwarded',
    send: raw(head(['Transfer-Encoding: chunked']), `${hex}\r\n${chatBody}\r\n0\r\nx-evil: 1\r\nauthorization: Bearer ${clientKey}\r\n\r\n`),
    expect: { status: [200], reached: 1, check: (_o, requests) => assert.equal(requests[0]?.headers['x-evil'], undefined) },
  },
  // line endings, folding, NUL
  {
    name: 'bare LF line endings',
    send: `GET ${chatPath} HTTP/1.1\nHost: lb.test\napi-key: ${clientKey}\nConnection: close\n\n`,
    expect: { status: [200, 400, 'closed'], reached: 'any' },
  },
  {
    name: 'bare CR inside the header block',
    send: raw([`GET ${chatPath} HTTP/1.1`, `Host: lb.test\rapi-key: ${clientKey}`, 'Connection: close']),
    expect: { status: refused },
  },
  {
    name: 'obs-fold continuing a header',
    send: raw(head([`Content-Length: ${length}`, 'X-Folded: a', ' b']), chatBody),
    expect: {
      status: [200, 400, 'closed'],
      reached: 'any',
      check: (_o, requests) => assert.ok(!/[\r\n]/.test(String(requests[0]?.headers['x-folded'] ?? ''))),
    },
  },
  { name: 'NUL in a header value', send: raw(head([`Content-Length: ${length}`, 'X-Nul: a\0b']), chatBody), expect: { status: refused } },
  { name: 'NUL in a header name', send: raw(head([`Content-Length: ${length}`, 'X-N\0ul: a']), chatBody), expect: { status: refused } },
  {
    name: 'NUL in the request target',
    send: raw(head([`Content-Length: ${length}`], `POST /openai/deployments/ch\0at/chat/completions HTTP/1.1`), chatBody),
    expect: { status: refused },
  },
  {
    name: 'malformed request pipelined behind a valid one',
    send: `GET ${chatPath} HTTP/1.1\r\nHost: lb.test\r\napi-key: ${clientKey}\r\n\r\nPOST ${chatPath} HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
    expect: {
      status: [200, 'closed'],
      reached: 'any',
      closes: true,
      check: (outcome, requests) => {
        assert.ok(requests.length <= 1, 'only the valid request reaches the backend');
        const [first, second] = outcome.responses;
        if (first) assert.ok(first.status === 200 && first.complete, 'the first answer is whole');
        if (second) assert.equal(second.status, 400);
      },
    },
  },
];

describeHostile('hostile input: framing and smuggling', { env: { CLIENT_HEADER_TIMEOUT_SECONDS: '2', CLIENT_BODY_TIMEOUT_SECONDS: '1' } }, cases);
