// Hostile input, families "slow clients" and "resource exhaustion": 30 cases (counted by the last test's
// diagnostic). Bodies over MAX_BODY_BYTES, stalled and trickled headers and bodies, slowloris with 50
// connections, pipelining, thousands of made-up deployment names, many short connections. Every loop is
// bounded in count and time.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { okChat } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';
import {
  chatBody,
  chatPath,
  clientKey,
  defineCases,
  exchange,
  openSocket,
  parseResponses,
  raw,
  req,
  type HostileCase,
  type RawSocket,
  type World,
  startWorld,
} from './harness.js';

const length = Buffer.byteLength(chatBody);
const postHead = (key = clientKey, extra: string[] = []): string =>
  raw([`POST ${chatPath} HTTP/1.1`, 'Host: lb.test', `api-key: ${key}`, 'Content-Type: application/json', ...extra]);
const bodyTimeout = { status: [408], json: true, closes: true };
const headerTimeout = { status: [408, 'closed'] as Array<408 | 'closed'>, closes: true };
/** `text` sent one piece every `ms`: the client's own pacing. */
const paced = (pieces: string[], ms: number) => pieces.flatMap((piece) => [{ pauseMs: ms }, piece]);

/** Opens `count` connections, runs `each` on them, and always closes them. */
async function withSockets(
  world: World,
  count: number,
  each: (socket: RawSocket, index: number) => void,
  body: (sockets: RawSocket[]) => Promise<void>,
): Promise<void> {
  const sockets: RawSocket[] = [];
  try {
    for (let i = 0; i < count; i++) sockets.push(await openSocket(world.url));
    sockets.forEach(each);
    await body(sockets);
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}
async function assertHealthy(world: World): Promise<void> {
  const answer = await exchange(world.url, raw(['GET /healthz HTTP/1.1', 'Host: lb.test', 'Connection: close']), 5000);
  assert.match(answer, /^HTTP\/1\.1 200 /, 'healthz answers while the attack goes on');
}
/** Sends `requests` pipelined in one write and waits for as many complete answers. */
async function pipeline(world: World, requests: string[]): Promise<number[]> {
  const socket = await openSocket(world.url);
  try {
    socket.send(requests.join(''));
    const responses = await waitFor(
      `${requests.length} pipelined answers`,
      () => {
        const parsed = parseResponses(socket.text(), socket.closed()).filter((r) => r.complete);
        return parsed.length >= requests.length || socket.closed() ? parsed : undefined;
      },
      30_000,
    );
    return responses.map((response) => response.status);
  } finally {
    socket.destroy();
  }
}
const echoUrl = (request: { url: string }, res: import('node:http').ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-echo-url': request.url, 'content-length': '2' });
  res.end('{}');
};

/** Small, so that an over-limit body fits in one socket write and the refusal cannot race the client's own write. */
const maxBody = 1000;
const sized = (size: number): string => `{"messages":[],"p":"${'p'.repeat(size - 22)}"}`;
const chunks = (text: string, size: number): string =>
  `${(text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? []).map((piece) => `${piece.length.toString(16)}\r\n${piece}\r\n`).join('')}`;
const tooLarge = { status: [413], json: true, closes: true };

const cases: HostileCase[] = [
  // MAX_BODY_BYTES, declared and chunked
  {
    name: 'body of exactly MAX_BODY_BYTES, chunked',
    send: `${postHead(clientKey, ['Transfer-Encoding: chunked', 'Connection: close'])}${chunks(sized(maxBody), 300)}0\r\n\r\n`,
    expect: { status: [200], reached: 1, check: (_o, requests) => assert.equal(requests[0]?.body.length, maxBody) },
  },
  {
    name: 'body of MAX_BODY_BYTES + 1, declared: 413 and closed',
    send: `${postHead(clientKey, [`Content-Length: ${maxBody + 1}`])}${sized(maxBody + 1)}`,
    expect: tooLarge,
  },
  { name: 'declared 10 GB, nothing sent: 413 and closed', send: postHead(clientKey, ['Content-Length: 10000000000']), expect: tooLarge },
  {
    name: 'declared 10 GB with a wrong key: 401 and closed',
    send: `${postHead('wrong', ['Content-Length: 10000000000'])}{"messages":`,
    expect: { status: [401], json: true, closes: true },
  },
  {
    name: 'chunked body growing over MAX_BODY_BYTES: 413 and closed',
    send: `${postHead(clientKey, ['Transfer-Encoding: chunked'])}${chunks(sized(maxBody + 200), 300)}`,
    expect: tooLarge,
  },
  {
    name: 'chunked body over the limit with a wrong key: 401 and closed',
    send: `${postHead('wrong', ['Transfer-Encoding: chunked'])}${chunks(sized(maxBody + 200), 300)}`,
    expect: { status: [401], json: true, closes: true },
  },
  // stalls
  { name: 'stalled inside the request line', send: 'POST /openai/deployments/ch', expect: headerTimeout },
  { name: 'stalled after the request line', send: `POST ${chatPath} HTTP/1.1\r\n`, expect: headerTimeout },
  { name: 'stalled inside a header', send: `POST ${chatPath} HTTP/1.1\r\nHost: lb.test\r\napi-key: ${clientKey.slice(0, 5)}`, expect: headerTimeout },
  { name: 'stalled before the empty line', send: `POST ${chatPath} HTTP/1.1\r\nHost: lb.test\r\napi-key: ${clientKey}\r\n`, expect: headerTimeout },
  {
    name: 'headers trickled a byte every 150 ms (past the header deadline)',
    send: paced(postHead().split('').slice(0, 40), 150),
    expect: headerTimeout,
    timeoutMs: 15_000,
  },
  { name: 'stalled body: 408 and closed', send: `${postHead(clientKey, ['Content-Length: 100'])}{"messages":`, expect: bodyTimeout },
  {
    name: 'stalled inside a chunk: 408 and closed',
    send: `${postHead(clientKey, ['Transfer-Encoding: chunked'])}${length.toString(16)}\r\n{"mess`,
    expect: bodyTimeout,
  },
  {
    name: 'stalled between chunks: 408 and closed',
    send: `${postHead(clientKey, ['Transfer-Encoding: chunked'])}${length.toString(16)}\r\n${chatBody}\r\n`,
    expect: bodyTimeout,
  },
  {
    name: 'a body that keeps moving is not cut',
    // 15 pieces 100 ms apart: longer than the 1-s body timeout in all, never idle for most of it.
    send: [postHead(clientKey, [`Content-Length: ${length}`, 'Connection: close']), ...paced(chatBody.match(/.{1,3}/g)!, 100)],
    expect: { status: [200], reached: 1 },
    timeoutMs: 15_000,
  },
  {
    name: 'wrong key with a body still coming: 401 and closed at once',
    send: `${postHead('wrong', ['Content-Length: 100000'])}{"messages":`,
    expect: { status: [401], json: true, closes: true },
  },
  {
    name: 'TRACE with a body still coming: 405 and closed at once',
    send: raw([`TRACE ${chatPath} HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`, 'Content-Length: 100000'], 'x'),
    expect: { status: [405], json: true, closes: true },
  },
  {
    name: 'absolute-form target with a body still coming: 400 and closed at once',
    send: raw([`POST http://evil.test${chatPath} HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`, 'Content-Length: 100000'], '{"messages":'),
    expect: { status: [400], json: true, closes: true },
  },
  {
    name: 'no key: POST /healthz with a body that stalls does not hold the connection',
    send: raw(['POST /healthz HTTP/1.1', 'Host: lb.test', 'Content-Length: 100000'], '{"x":'),
    expect: { status: [200, 400, 405, 408, 413, 'closed'], reached: 0, closes: true },
    timeoutMs: 8000,
  },
  {
    name: 'POST /status with a body still coming: 405 and closed at once',
    send: raw(['POST /status HTTP/1.1', 'Host: lb.test', `api-key: ${clientKey}`, 'Content-Length: 100000'], '{"x":'),
    expect: { status: [405], json: true, closes: true },
    timeoutMs: 8000,
  },
  {
    name: 'GET /metrics with a body that stalls does not hold the connection',
    send: raw(['GET /metrics HTTP/1.1', 'Host: lb.test', `api-key: ${clientKey}`, 'Content-Length: 100000'], 'x'),
    expect: { status: [200, 400, 405, 408, 413, 'closed'], reached: 0, closes: true },
    timeoutMs: 8000,
  },
  {
    name: 'client half-closes after a whole request',
    send: [req('GET', chatPath).replace('Connection: close\r\n', ''), { end: true }],
    expect: { status: [200, 'closed'], reached: 'any' },
  },
  {
    name: 'slowloris: 50 connections with unfinished headers are all closed',
    run: (world) =>
      withSockets(
        world,
        50,
        (socket, i) => socket.send(`GET /openai/deployments/slow-${i}/chat HTTP/1.1\r\nHost: lb.test\r\nX-a: `),
        async (sockets) => {
          await assertHealthy(world);
          await waitFor('all 50 slowloris connections closed', () => sockets.every((s) => s.closed()) || undefined, 15_000);
        },
      ),
    expect: { status: [], reached: 0 },
    timeoutMs: 15_000,
  },
  {
    name: 'slowloris: 50 authenticated uploads that stall all get 408',
    run: (world) =>
      withSockets(
        world,
        50,
        (socket) => socket.send(`${postHead(clientKey, ['Content-Length: 1000'])}{"messages":`),
        async (sockets) => {
          await assertHealthy(world);
          await waitFor('all 50 stalled uploads closed', () => sockets.every((s) => s.closed()) || undefined, 15_000);
          for (const socket of sockets) assert.match(socket.text(), /^HTTP\/1\.1 408 [\s\S]*"code":"RequestTimeout"/);
        },
      ),
    expect: { status: [], reached: 0 },
    timeoutMs: 15_000,
  },
  {
    name: '200 pipelined requests on one connection are answered in order',
    run: async (world) => {
      world.setHandlers([echoUrl]);
      try {
        const requests = Array.from({ length: 200 }, (_, i) =>
          raw([`GET /openai/deployments/pipe-${i}/chat/completions HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`]),
        );
        const socket = await openSocket(world.url);
        try {
          socket.send(requests.join(''));
          const responses = await waitFor(
            '200 answers',
            () => {
              const parsed = parseResponses(socket.text(), false).filter((r) => r.complete);
              return parsed.length >= 200 ? parsed : undefined;
            },
            30_000,
          );
          assert.deepEqual(
            responses.map((r) => r.headers['x-echo-url']),
            requests.map((_, i) => `/aoai/openai/deployments/pipe-${i}/chat/completions`),
          );
        } finally {
          socket.destroy();
        }
      } finally {
        world.setHandlers([okChat]);
      }
    },
    expect: { status: [], reached: 200 },
    timeoutMs: 30_000,
  },
  {
    name: '2,000 made-up deployment names: /status stays small',
    run: async (world) => {
      world.setHandlers([
        (request, res) =>
          void (/made-\d*[13579]\//.test(request.url) ? res.writeHead(404).end('{"error":{"code":"DeploymentNotFound"}}') : okChat(request, res)),
      ]);
      try {
        for (let batch = 0; batch < 20; batch++) {
          const requests = Array.from({ length: 100 }, (_, i) =>
            raw([`GET /openai/deployments/made-${batch * 100 + i}/chat/completions HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`]),
          );
          const statuses = await pipeline(world, requests);
          assert.equal(statuses.length, 100);
        }
      } finally {
        world.setHandlers([okChat]);
      }
      const answer = await exchange(world.url, raw(['GET /status HTTP/1.1', 'Host: lb.test', `api-key: ${clientKey}`, 'Connection: close']));
      const status = parseResponses(answer, true)[0]!;
      assert.ok(status.body.length < 64 * 1024, `/status is ${status.body.length} bytes`);
      const deployments = (JSON.parse(status.body) as { backends: Array<{ deployments: Array<{ deployment: string }> }> }).backends[0]!.deployments;
      assert.ok(deployments.length <= 64, `${deployments.length} deployments in /status`);
      assert.ok(
        deployments.every((d) => !/made-\d*[13579]$/.test(d.deployment)),
        'a name the backend answered 404 for is not shown',
      );
    },
    expect: { status: [], reached: 2000 },
    timeoutMs: 60_000,
  },
  {
    name: '500 connections opened and closed at once, 50 at a time',
    run: async (world) => {
      for (let round = 0; round < 10; round++)
        await withSockets(
          world,
          50,
          () => undefined,
          async () => undefined,
        );
      await assertHealthy(world);
    },
    expect: { status: [], reached: 0 },
  },
  {
    name: '300 connections sending garbage, then closing',
    run: async (world) => {
      for (let round = 0; round < 6; round++) {
        await withSockets(
          world,
          50,
          (socket, i) => socket.send(Buffer.from(Array.from({ length: 64 }, (_, j) => (i * 31 + j * 7 + round) % 256))),
          async (sockets) => {
            await waitFor('garbage answered or closed', () => sockets.every((s) => s.closed() || /^HTTP\/1\.1 4\d\d /.test(s.text())) || undefined);
            for (const socket of sockets) assert.doesNotMatch(socket.text(), /^HTTP\/1\.1 [235]/);
          },
        );
      }
    },
    expect: { status: [], reached: 0 },
  },
  {
    name: '200 connections that send half a request and reset',
    run: async (world) => {
      for (let round = 0; round < 4; round++) {
        await withSockets(
          world,
          50,
          (socket) => socket.send(`${postHead(clientKey, ['Content-Length: 1000'])}{"mess`),
          async () => undefined,
        );
      }
      await assertHealthy(world);
    },
    expect: { status: [], reached: 0 },
  },
  {
    name: '100 sequential requests on one keep-alive connection',
    run: async (world) => {
      const socket = await openSocket(world.url);
      try {
        for (let i = 0; i < 100; i++) {
          socket.send(raw([`GET /openai/deployments/seq/chat/completions HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`]));
          await waitFor(`answer ${i + 1}`, () => parseResponses(socket.text(), false).filter((r) => r.complete).length > i || undefined);
        }
        assert.ok(parseResponses(socket.text(), false).every((r) => r.status === 200));
      } finally {
        socket.destroy();
      }
    },
    expect: { status: [], reached: 100 },
  },
];

describe('hostile input: slow clients and resource exhaustion', () => {
  let world: World;
  before(async () => {
    world = await startWorld({ env: { CLIENT_HEADER_TIMEOUT_SECONDS: '1', CLIENT_BODY_TIMEOUT_SECONDS: '1', MAX_BODY_BYTES: String(maxBody) } });
  });
  after(async () => {
    await world?.stop();
  });
  defineCases(() => world, cases);
});
