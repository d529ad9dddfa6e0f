// Hostile input, family "misbehaving backends": 20 cases (counted by the last test's diagnostic).
// Backend 1 (priority 1) misbehaves as each case scripts it, backend 2 (priority 2) answers normally:
// a trickling 429, a 500 with 200 KB, a hang, a reset, invalid headers, an oversized response, an SSE
// stream cut or stalled mid-way — expect failover, 502/503, or an SSE error event, as the README says.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe } from 'node:test';
import { okChat, type Handler } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';
import { defineCases, prefix, req, type Expect, type HostileCase, type Outcome, type World, startWorld } from './harness.js';

const path = (deployment: string): string => `/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`;
const body = '{"messages":[{"role":"user","content":"hi"}]}';
let caseNumber = 0;

/** Writes raw bytes on the backend's socket instead of an HTTP response. */
const rawAnswer =
  (bytes: string, close = true): Handler =>
  (_request, res) => {
    res.socket!.write(bytes);
    if (close) res.socket!.end();
  };
const status =
  (code: number, headers: Record<string, string> = {}, text = '{"error":{"code":"x","message":"x"}}'): Handler =>
  (_request, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };
/** Writes `each` every `ms` up to `count` times, then `end` (or stops when the balancer goes away). */
function trickle(res: ServerResponse, each: string, ms: number, count: number, end: () => void): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent++ >= count) {
      clearInterval(timer);
      if (!res.destroyed) end();
      return;
    }
    res.write(each);
  }, ms);
}
const sse = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('data: {"choices":[{"delta":{"content":"he"}}]}\n\n');
  res.write('data: {"choices":[{"delta":{"content":"llo"}}]}\n\n');
};

/** Failed over: the client's answer came from backend 2, after backend 1 was tried. */
const failedOver = (extra: Partial<Expect> = {}): Expect => ({
  status: [200],
  reached: 2,
  ...extra,
  check: (outcome, requests) => {
    assert.equal(outcome.responses[0]?.headers['x-aoai-lb-backend'], '2', 'answered by the healthy backend');
    assert.equal(requests[0]?.url, requests[1]?.url, 'the same request replayed');
    assert.deepEqual(requests[0]?.body, requests[1]?.body, 'body replayed byte for byte');
  },
});
const exhausted = (code: number, name: string): Expect => ({
  status: [code],
  reached: 2,
  json: true,
  check: (outcome) => {
    const response = outcome.responses[0]!;
    assert.equal(response.headers['x-aoai-lb-backend'], 'none');
    assert.equal(JSON.parse(response.body).error.code, name);
    const ms = Number(response.headers['retry-after-ms']);
    assert.ok(ms >= 1 && ms <= 59_999, `retry-after-ms ${ms}`);
    assert.equal(response.headers['x-should-retry'], 'true');
  },
});
const streamInterrupted = (outcome: Outcome): void => {
  const response = outcome.responses[0]!;
  assert.equal(response.headers['x-aoai-lb-backend'], '1');
  assert.ok(response.complete, 'the stream ends properly');
  assert.match(response.body, /"content":"he"[\s\S]*"content":"llo"/, 'the events already sent');
  assert.match(response.body, /data: \{"error":\{"code":"BackendStreamInterrupted","message":"[^"]+"\}\}\n\n$/, 'a final error event');
};

interface Row {
  name: string;
  handler: Handler;
  /** Backend 2's handler (answers normally unless given). */
  second?: Handler;
  expect: Expect;
  timeoutMs?: number;
}
const rows: Row[] = [
  {
    name: '429 with a body trickling for 10 s: failover after at most 1 s of it',
    handler: (_r, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      trickle(res, ' ', 200, 50, () => res.end());
    },
    expect: failedOver(),
    timeoutMs: 6000,
  },
  { name: '500 with a 200 KB body', handler: status(500, {}, `{"error":{"message":"${'e'.repeat(200_000)}"}}`), expect: failedOver() },
  { name: 'hangs before headers: failover after HTTP_TIMEOUT_SECONDS', handler: () => undefined, expect: failedOver(), timeoutMs: 8000 },
  { name: 'resets the connection', handler: (_r, res) => void res.socket!.resetAndDestroy(), expect: failedOver() },
  { name: 'closes the connection without answering', handler: (_r, res) => void res.socket!.destroy(), expect: failedOver() },
  { name: 'a header line without a colon', handler: rawAnswer('HTTP/1.1 200 OK\r\nBad Header\r\ncontent-length: 2\r\n\r\n{}'), expect: failedOver() },
  {
    name: 'a bare CR inside a header value',
    handler: rawAnswer('HTTP/1.1 200 OK\r\nx-injected: a\rset-cookie: evil=1\r\ncontent-length: 2\r\n\r\n{}'),
    expect: failedOver(),
  },
  { name: 'a status line that is not HTTP', handler: rawAnswer('SSH-2.0-OpenSSH_9.6\r\n\r\n'), expect: failedOver() },
  {
    name: 'response headers of 100 KB',
    handler: (_r, res) => {
      res.writeHead(200, { 'x-big': 'b'.repeat(100_000), 'content-length': '2' });
      res.end('{}');
    },
    expect: { status: [200, 502], reached: 'any', check: (o) => assert.equal(o.responses[0]?.headers['x-big'], undefined) },
  },
  {
    name: 'both Content-Length and Transfer-Encoding in the response',
    handler: rawAnswer('HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'),
    expect: {
      status: [200, 502],
      reached: 'any',
      check: (o) => assert.ok(o.responses[0]?.status !== 200 || o.responses[0].headers['x-aoai-lb-backend'] === '2' || o.responses[0].body === '{}'),
    },
  },
  {
    name: 'a response of 8 MB is passed on whole',
    handler: (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(8 * 1024 * 1024) });
      res.end(Buffer.alloc(8 * 1024 * 1024, 0x61));
    },
    expect: { status: [200], reached: 1, check: (o) => assert.equal(o.responses[0]?.body.length, 8 * 1024 * 1024) },
    timeoutMs: 20_000,
  },
  {
    name: 'SSE cut mid-stream: a final BackendStreamInterrupted event',
    handler: (_r, res) => {
      sse(res);
      setImmediate(() => res.socket!.destroy());
    },
    expect: { status: [200], reached: 1, check: streamInterrupted },
  },
  {
    name: 'SSE stalled mid-stream past HTTP_TIMEOUT_SECONDS: error event',
    handler: (_r, res) => {
      sse(res);
      trickle(res, '', 3000, 1, () => res.end());
    },
    expect: { status: [200], reached: 1, check: streamInterrupted },
    timeoutMs: 10_000,
  },
  {
    name: 'JSON response cut mid-body: the client connection drops',
    handler: (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setImmediate(() => res.socket!.destroy());
    },
    expect: { status: [200], reached: 1, check: (o) => assert.ok(o.closed && !o.responses[0]?.complete) },
  },
  {
    name: 'hop-by-hop and Connection-named headers in the response',
    handler: (_r, res) => {
      res.writeHead(200, {
        connection: 'x-internal',
        'x-internal': 'secret',
        'keep-alive': 'timeout=1',
        'proxy-authenticate': 'Basic',
        upgrade: 'h2c',
        'content-length': '2',
      });
      res.end('{}');
    },
    expect: {
      status: [200],
      reached: 1,
      check: (o) => {
        for (const name of ['x-internal', 'keep-alive', 'proxy-authenticate', 'upgrade']) assert.equal(o.responses[0]?.headers[name], undefined, name);
      },
    },
  },
  {
    name: 'both backends failing: 503 ServiceUnavailable',
    handler: status(500),
    second: (_r, res) => void res.socket!.destroy(),
    expect: exhausted(503, 'ServiceUnavailable'),
  },
  {
    name: 'both backends throttled for a day: 429 capped under a minute',
    handler: status(429, { 'retry-after': '86400' }),
    second: status(429, { 'retry-after-ms': '86400000' }, 'Please retry after 86400 seconds.'),
    expect: exhausted(429, 'RateLimitReached'),
  },
  {
    name: "404 is the backend's answer, not a failover",
    handler: status(404),
    expect: { status: [404], reached: 1, check: (o) => assert.equal(o.responses[0]?.headers['x-aoai-lb-backend'], '1') },
  },
  {
    name: '401 from the backend is passed on unchanged',
    handler: status(401, { 'www-authenticate': 'Bearer' }),
    expect: { status: [401], reached: 1, check: (o) => assert.equal(o.responses[0]?.headers['x-aoai-lb-backend'], '1') },
  },
  {
    name: '103 Early Hints before the answer',
    handler: (_r, res) => {
      res.writeEarlyHints({ link: '</x>; rel=preload' });
      okChat(_r, res);
    },
    expect: { status: [200], reached: 1 },
  },
];

const cases: HostileCase[] = rows.map((row) => {
  const deployment = `be-${++caseNumber}`;
  return {
    name: row.name,
    handlers: [row.handler, row.second ?? okChat],
    send: req('POST', path(deployment), [], body),
    noCooldown: false,
    timeoutMs: row.timeoutMs,
    expect: { ...row.expect, upstream: undefined },
  };
});

describe('hostile input: misbehaving backends', () => {
  let world: World;
  before(async () => {
    world = await startWorld({
      priorities: [1, 2],
      env: { HTTP_TIMEOUT_SECONDS: '1.5', MAX_COOLDOWN_SECONDS: '0.3', CIRCUIT_BASE_SECONDS: '0.1', DEFAULT_COOLDOWN_SECONDS: '0.2' },
    });
  });
  after(async () => {
    await world?.stop();
  });
  beforeEach(async () => {
    // Every case starts with both backends available again (cooldowns here last at most 0.3 s).
    await waitFor('both backends to be available', async () => {
      const state = await world.status();
      return state.backends.every((backend) => backend.state === 'healthy' && backend.deployments.every((d) => d.state === 'healthy')) || undefined;
    });
  });
  defineCases(() => world, cases);
  void prefix;
});
