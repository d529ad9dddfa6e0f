/**
 * The hostile-input suite's harness: the REAL balancer (templates/balancer/dist/main.js) as a child
 * process, configured by environment, in front of recording backends on 127.0.0.1 with a path prefix;
 * cases are data — raw bytes or a small script — sent over raw TCP sockets. After every case: the answer,
 * that the process is alive (exit code null, GET /healthz 200, the backend not cooled by client input),
 * what reached the backends, and what was logged (synchronised by a sentinel request whose log line
 * follows the case's own lines on stdout).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { okChat, startRecordingBackend, type Handler, type RecordedRequest, type RecordingBackend } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';

export const balancerMain = fileURLToPath(new URL('../../templates/balancer/dist/main.js', import.meta.url));
export const clientKey = 'hostile-client-key-Zq7uV3w';
export const backendKey = 'backend-own-key-Lm4pR8t';
/** A value a client puts in the query that must never be logged. */
export const secret = 'SECRETq9Vx7';
export const prefix = '/aoai';
export const chatPath = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
export const chatUpstream = `${prefix}${chatPath}`;
export const chatBody = '{"messages":[{"role":"user","content":"hi"}]}';
const forwardedMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** A request as raw text: lines joined by CRLF, an empty line, then the body. */
export function raw(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
/** An authenticated request with Connection: close, plus `extra` header lines. */
export function req(method: string, target: string, extra: string[] = [], body?: string): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`, 'Connection: close', ...extra];
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return raw(lines, body ?? '');
}
export const post = (target: string, body = chatBody, extra: string[] = []): string => req('POST', target, extra, body);

export type Step = string | Buffer | { pauseMs: number } | { until: RegExp } | { untilClosed: true } | { end: true };
export type Status = number | 'closed';
export interface Expect {
  /** Allowed first answers: a status, or 'closed' (the server closed without one). */
  status: Status[];
  /** Requests that must reach a backend: a count, or 'any'; default 0 unless a 2xx is allowed. */
  reached?: number | 'any';
  /** The exact URL(s) the backend must have received. */
  upstream?: string | string[];
  /** The balancer's own Azure-shaped JSON error is required. */
  json?: boolean;
  /** The server must close the connection after answering. */
  closes?: boolean;
  /** How many complete responses to wait for (pipelining, keep-alive). */
  responses?: number;
  check?: (outcome: Outcome, requests: RecordedRequest[], logs: string) => void | Promise<void>;
}
export interface HostileCase {
  name: string;
  send?: Step | Step[];
  /** A scripted case that drives its own sockets; the common checks still follow. */
  run?: (world: World) => Promise<void>;
  head?: boolean;
  expect: Expect;
  timeoutMs?: number;
  /** Sets the backends' handlers (cases of a misbehaving backend). */
  handlers?: Handler[];
  /** Client input must not put a backend into cooldown (default true). */
  noCooldown?: boolean;
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  complete: boolean;
}
export interface Outcome {
  text: string;
  closed: boolean;
  responses: ParsedResponse[];
}

export interface RawSocket {
  text(): string;
  closed(): boolean;
  send(data: string | Buffer): void;
  end(): void;
  destroy(): void;
}

export async function openSocket(url: string): Promise<RawSocket> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  return {
    text: () => text,
    closed: () => closed,
    send: (data) => {
      if (!socket.destroyed && socket.writable) socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    },
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
}

/** The responses in `text` (latin1), in order; the last may be incomplete. */
export function parseResponses(text: string, closed: boolean, head = false): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const [statusLine = '', ...lines] = text.slice(at, end).split('\r\n');
    const match = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
    if (!match) break;
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
    }
    let cursor = end + 4;
    let body = '';
    let complete = true;
    if (status < 200) {
      at = cursor;
      continue;
    } else if (head || status === 204 || status === 304) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      complete = false;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', cursor);
        if (lineEnd === -1) break;
        const size = parseInt(text.slice(cursor, lineEnd), 16);
        if (!Number.isFinite(size)) break;
        if (size === 0) {
          const trailerEnd = text.indexOf('\r\n\r\n', lineEnd);
          if (text.startsWith('\r\n', lineEnd + 2)) cursor = lineEnd + 4;
          else if (trailerEnd !== -1) cursor = trailerEnd + 4;
          else break;
          complete = true;
          break;
        }
        if (text.length < lineEnd + 2 + size + 2) break;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        cursor = lineEnd + 2 + size + 2;
      }
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = text.slice(cursor, cursor + length);
      complete = body.length === length;
      cursor += body.length;
    } else {
      body = text.slice(cursor);
      complete = closed;
      cursor = text.length;
    }
    out.push({ status, headers, body, complete });
    if (!complete) break;
    at = cursor;
  }
  return out;
}

export interface World {
  url: string;
  child: ChildProcess;
  backends: RecordingBackend[];
  stdout(): string;
  stderr(): string;
  setHandlers(handlers: Handler[]): void;
  stop(): Promise<void>;
  /** JSON from GET /status. */
  status(): Promise<{ backends: Array<{ id: string; state: string; brokenRemainingMs: number; deployments: Array<{ deployment: string; state: string }> }> }>;
}

export interface WorldOptions {
  env?: Record<string, string>;
  /** Priorities of the backends; one backend at priority 1 by default. */
  priorities?: number[];
}

const isSentinel = (request: RecordedRequest): boolean => request.url.includes('/sentinel-');

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const priorities = options.priorities ?? [1];
  const current: Handler[] = priorities.map(() => okChat);
  const backends: RecordingBackend[] = [];
  for (const index of priorities.keys()) {
    backends.push(await startRecordingBackend((request, res) => (isSentinel(request) ? okChat : current[index]!)(request, res)));
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: '0',
    CLIENT_API_KEYS: clientKey,
    LOG_FORMAT: 'text',
    ...options.env,
  };
  for (const [index, priority] of priorities.entries()) {
    env[`BACKEND_${index + 1}_URL`] = `${backends[index]!.url}${prefix}/`;
    env[`BACKEND_${index + 1}_APIKEY`] = backendKey;
    env[`BACKEND_${index + 1}_PRIORITY`] = String(priority);
  }
  const child = spawn(process.execPath, [balancerMain], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopAll = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    await Promise.all(backends.map((backend) => backend.close()));
  };
  let url: string;
  try {
    const match = await waitFor(
      `the balancer to listen (stdout: ${out.slice(-300)} stderr: ${err.slice(-300)})`,
      () => /aoai-lb balancer listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out) ?? (child.exitCode !== null ? false : undefined),
      20_000,
    );
    url = match[1]!;
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    url,
    child,
    backends,
    stdout: () => out,
    stderr: () => err,
    setHandlers(handlers) {
      for (const [index, handler] of handlers.entries()) current[index] = handler;
    },
    stop: stopAll,
    async status() {
      const answer = await exchange(url, raw(['GET /status HTTP/1.1', 'Host: lb.test', `api-key: ${clientKey}`, 'Connection: close']));
      const [response] = parseResponses(answer, true);
      assert.equal(response?.status, 200, `GET /status: ${answer.slice(0, 300)}`);
      return JSON.parse(response.body) as Awaited<ReturnType<World['status']>>;
    },
  };
}

/** Sends `data` on a new connection and resolves with what came back once the server closed it. */
export async function exchange(url: string, data: string | Buffer, timeoutMs = 10_000): Promise<string> {
  const socket = await openSocket(url);
  try {
    socket.send(data);
    await waitFor(`the server to close (received ${JSON.stringify(socket.text().slice(0, 200))})`, () => socket.closed() || undefined, timeoutMs);
    return socket.text();
  } finally {
    socket.destroy();
  }
}

/** Runs a script on a new connection; resolves once `responses` complete answers arrived or the server closed. */
export async function runScript(
  url: string,
  steps: Step[],
  options: { responses?: number; closes?: boolean; head?: boolean; timeoutMs?: number } = {},
): Promise<Outcome> {
  const socket = await openSocket(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    for (const step of steps) {
      if (typeof step === 'string' || Buffer.isBuffer(step)) socket.send(step);
      else if ('pauseMs' in step)
        await new Promise((resolve) => setTimeout(resolve, step.pauseMs)); // the client's own pacing, part of the input
      else if ('until' in step)
        await waitFor(
          `${step.until} (received ${JSON.stringify(socket.text().slice(0, 300))})`,
          () => step.until.test(socket.text()) || socket.closed() || undefined,
          timeoutMs,
        );
      else if ('untilClosed' in step) await waitFor('the server to close', () => socket.closed() || undefined, timeoutMs);
      else socket.end();
    }
    const want = options.responses ?? 1;
    await waitFor(
      `an answer or a close (received ${JSON.stringify(socket.text().slice(0, 300))})`,
      () => {
        if (socket.closed()) return true;
        const complete = parseResponses(socket.text(), false, options.head).filter((response) => response.complete).length;
        return complete >= want || undefined;
      },
      timeoutMs,
    );
    if (options.closes)
      await waitFor(
        `the server to close after answering (received ${JSON.stringify(socket.text().slice(0, 300))})`,
        () => socket.closed() || undefined,
        timeoutMs,
      );
    return { text: socket.text(), closed: socket.closed(), responses: parseResponses(socket.text(), socket.closed(), options.head) };
  } finally {
    socket.destroy();
  }
}

/** The balancer's own answer: marked `x-aoai-lb-backend: none`, and a body if any is Azure-shaped JSON. */
export function assertOwnAnswer(response: ParsedResponse, requireJson: boolean): void {
  assert.equal(
    response.headers['x-aoai-lb-backend'],
    'none',
    `the balancer's own ${response.status} must carry x-aoai-lb-backend: none (headers ${JSON.stringify(response.headers)})`,
  );
  if (response.body.length === 0 && !requireJson) return;
  assert.match(response.headers['content-type'] ?? '', /^application\/json/, `content-type of the balancer's ${response.status}`);
  const json = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof json.error?.code, 'string', `Azure-shaped error: ${response.body}`);
  assert.equal(typeof json.error?.message, 'string', `Azure-shaped error: ${response.body}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** What any request that reached a backend must look like. */
export function assertUpstreamClean(request: RecordedRequest): void {
  const where = `${request.method} ${request.url}`;
  assert.ok(forwardedMethods.has(request.method), `method ${where}`);
  assert.ok(request.url.startsWith(`${prefix}/`), `under the prefix: ${where}`);
  assert.doesNotMatch(request.url, /smuggled/i, `a smuggled request reached the backend: ${where}`);
  const [path = '', query] = request.url.split('?', 2);
  for (const segment of path.split('/')) {
    const dots = segment.replace(/%2e/gi, '.');
    assert.ok(dots !== '.' && dots !== '..', `dot segment forwarded: ${where}`);
  }
  for (const pair of (query ?? '').split('&')) {
    const name = safeDecode(pair.split('=', 1)[0]!.replace(/\+/g, ' ')).trim().toLowerCase();
    assert.notEqual(name, 'api-key', `api-key query parameter forwarded: ${where}`);
  }
  assert.ok(!request.url.includes(clientKey) && !safeDecode(request.url).includes(clientKey), `client key in the URL: ${where}`);
  assert.equal(request.headers['api-key'], backendKey, `the backend's own key: ${where}`);
  for (const name of [
    'authorization',
    'proxy-authorization',
    'upgrade',
    'te',
    'trailer',
    'keep-alive',
    'proxy-connection',
    'expect',
    'transfer-encoding',
    'http2-settings',
  ]) {
    assert.equal(request.headers[name], undefined, `${name} forwarded: ${where}`);
  }
  for (const [name, value] of Object.entries(request.headers)) {
    assert.ok(!String(value).includes(clientKey), `client key in header ${name}: ${where}`);
  }
}

const textLine = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (info |warn |error) \S/;
// eslint-disable-next-line no-control-regex
const forbidden = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/** One line per log call, no secret, no raw control character or line separator. */
export function assertLogClean(logs: string, format: 'text' | 'json'): void {
  for (const [label, value] of [
    ['client key', clientKey],
    ['backend key', backendKey],
    ['secret query value', secret],
  ] as const) {
    assert.ok(!logs.includes(value), `${label} in the log:\n${logs.slice(Math.max(0, logs.indexOf(value) - 300), logs.indexOf(value) + 100)}`);
  }
  const bad = forbidden.exec(logs);
  assert.equal(
    bad,
    null,
    `raw control or separator U+${bad?.[0].charCodeAt(0).toString(16).padStart(4, '0')} in the log: ${JSON.stringify(logs.slice(Math.max(0, (bad?.index ?? 0) - 200), (bad?.index ?? 0) + 50))}`,
  );
  for (const line of logs.split('\n').slice(0, -1)) {
    if (format === 'text') assert.match(line, textLine, `a log line that no log call wrote: ${JSON.stringify(line.slice(0, 300))}`);
    else {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.ok(typeof entry.time === 'string' && typeof entry.level === 'string' && typeof entry.msg === 'string', `log entry ${line.slice(0, 300)}`);
    }
  }
}

/** The `key=value` fields of a text log line (values quoted with backslash escapes, or bare). */
export function textFields(line: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const pattern = / ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    const value = match[2]!.startsWith('"') ? match[2]!.slice(1, -1).replace(/\\(["\\])/g, '$1') : match[2]!;
    fields.push([match[1]!, value]);
  }
  return fields;
}

async function healthz(url: string): Promise<void> {
  const answer = await exchange(url, raw(['GET /healthz HTTP/1.1', 'Host: lb.test', 'Connection: close']));
  assert.match(answer, /^HTTP\/1\.1 200 /, `GET /healthz after the case: ${JSON.stringify(answer.slice(0, 200))}`);
}

let sentinels = 0;

/** Runs one case and every common check. */
export async function runCase(world: World, hostile: HostileCase, format: 'text' | 'json'): Promise<string> {
  const counts = world.backends.map((backend) => backend.requests.length);
  const logStart = world.stdout().length;
  if (hostile.handlers) world.setHandlers(hostile.handlers);
  const expect = hostile.expect;
  let outcome: Outcome | undefined;
  if (hostile.run) await hostile.run(world);
  else {
    const steps = Array.isArray(hostile.send) ? hostile.send : [hostile.send!];
    outcome = await runScript(world.url, steps, { responses: expect.responses, closes: expect.closes, head: hostile.head, timeoutMs: hostile.timeoutMs });
  }
  const first = outcome?.responses[0];
  const answered: Status = first ? first.status : 'closed';
  if (outcome)
    assert.ok(
      expect.status.includes(answered),
      `answer ${answered}, expected one of ${expect.status.join(', ')}; received ${JSON.stringify(outcome.text.slice(0, 400))}`,
    );

  // (3) what reached the backends
  const requests = world.backends.flatMap((backend, index) => backend.requests.slice(counts[index]).filter((request) => !isSentinel(request)));
  // An answer of 400 or more that no backend gave (no backend id in x-aoai-lb-backend) is the balancer's own.
  const own = first !== undefined && first.status >= 400 && !/^\d+$/.test(first.headers['x-aoai-lb-backend'] ?? '');
  const reached = expect.reached ?? (expect.status.some((status) => status !== 'closed' && status < 300) ? 'any' : 0);
  if (reached !== 'any')
    assert.equal(requests.length, reached, `requests at the backend: ${requests.map((request) => `${request.method} ${request.url}`).join(', ')}`);
  if (own && !hostile.handlers) assert.equal(requests.length, 0, 'the balancer refused, yet a request reached the backend');
  if (first && first.status < 300 && reached !== 0) assert.ok(requests.length >= 1, 'a 2xx answer from a backend that saw no request');
  for (const request of requests) assertUpstreamClean(request);
  if (expect.upstream !== undefined)
    assert.deepEqual(
      requests.map((request) => request.url),
      [expect.upstream].flat(),
    );

  // (1) the balancer's own answers
  if (first && own) assertOwnAnswer(first, expect.json ?? false);
  if (expect.json) assert.ok(first && first.body.length > 0, 'an Azure-shaped JSON error body');
  if (expect.closes && outcome) assert.ok(outcome.closed, 'the server must close the connection');

  // (2) alive
  assert.equal(world.child.exitCode, null, `the balancer exited: ${world.stderr().slice(-500)}`);
  assert.equal(world.child.signalCode, null, 'the balancer was killed');
  await healthz(world.url);
  if (hostile.noCooldown !== false) {
    const status = await world.status();
    for (const backend of status.backends) {
      assert.equal(backend.state, 'healthy', `client input put backend ${backend.id} into cooldown: ${JSON.stringify(backend)}`);
      for (const deployment of backend.deployments)
        assert.equal(deployment.state, 'healthy', `client input cooled ${deployment.deployment} on backend ${backend.id}`);
    }
  }

  // (4) logs: a sentinel request's line comes after everything this case logged
  const name = `sentinel-${++sentinels}-${process.pid}`;
  await exchange(
    world.url,
    raw([`GET /openai/deployments/${name}/chat/completions?api-version=2024-10-21 HTTP/1.1`, 'Host: lb.test', `api-key: ${clientKey}`, 'Connection: close']),
  );
  const end = await waitFor(`the sentinel ${name} in the log`, () => {
    const at = world.stdout().indexOf(name, logStart);
    return at === -1 ? undefined : world.stdout().lastIndexOf('\n', at) + 1;
  });
  const logs = world.stdout().slice(logStart, Math.max(logStart, end));
  assertLogClean(logs, format);
  if (expect.check) await expect.check(outcome ?? { text: '', closed: true, responses: [] }, requests, logs);
  return `answer ${outcome ? answered : 'scripted'}${outcome?.closed ? ', closed' : ''}; ${requests.length} at the backend`;
}

/** One node:test case per table row, then a check of the whole log and the count. */
export function defineCases(world: () => World, cases: HostileCase[], format: 'text' | 'json' = 'text'): void {
  const names = new Set<string>();
  for (const hostile of cases) {
    assert.ok(!names.has(hostile.name), `duplicate case name ${hostile.name}`);
    names.add(hostile.name);
    it(hostile.name, { timeout: Math.max(30_000, (hostile.timeoutMs ?? 0) * 3) }, async (t) => t.diagnostic(await runCase(world(), hostile, format)));
  }
  it('the whole log is clean and the process still runs', async (t) => {
    t.diagnostic(`${cases.length} hostile cases in this file`);
    const current = world();
    assertLogClean(current.stdout(), format);
    assert.equal(current.stderr(), '', 'nothing on stderr');
    await healthz(current.url);
  });
}

/** A file's suite: one balancer (with `options`) for all its cases, stopped at the end. */
export function describeHostile(title: string, options: WorldOptions, cases: HostileCase[], format: 'text' | 'json' = 'text'): void {
  describe(title, () => {
    let world: World;
    before(async () => {
      world = await startWorld(options);
    });
    after(async () => {
      await world?.stop();
    });
    defineCases(() => world, cases, format);
  });
}
