/**
 * The baseline of the replicas measure: what one LiteLLM proxy pod does with its router's documented
 * defaults, in front of several Azure OpenAI deployments of one model group, with no Redis (its state is
 * in the pod's memory, as LiteLLM's DualCache is without redis_host). Not LiteLLM; a model of its
 * behaviour for load and 429s, written from its docs:
 *   - docs.litellm.ai/docs/routing ("Routing Strategies": simple-shuffle is the default; without rpm, tpm
 *     or weight it "randomly picks a deployment"; "Cooldowns": allowed_fails 3, cooldown_time 5 s;
 *     "When are deployments cooled down?": a 429 cools the deployment at once, other failures after
 *     allowed_fails in the current minute);
 *   - docs.litellm.ai/docs/router/learn/reliability (retries: the router is the only retry loop, each
 *     retry selects again skipping the failed deployment; with a healthy deployment left it retries at
 *     once, else it waits the answer's retry-after (≤ 60 s) or backs off).
 *
 * Per request: pick uniformly at random among the deployments not cooling down (and not tried yet by this
 * request while an untried one is left); send; on 429 cool that deployment for cooldown_time (÷ time
 * scale) and retry, up to num_retries (2) retries; on 5xx, a timeout or a connection error retry too and
 * count the failure (cooldown after more than allowed_fails (3) in the current minute ÷ time scale). When
 * no deployment is left cooling-free: sleep the last answer's retry-after-ms / retry-after (if 0 < it ≤ 60 s)
 * or 0.5 s × 2^n ÷ time scale, then pick again; when every deployment is cooling at the time of a pick,
 * answer 429 "No deployments available" at once. The last failed answer goes to the client when the
 * retries are spent. Nothing is estimated from headers; no tokens are counted.
 *
 *   BENCH_PORT=… BENCH_BACKENDS='[{"url":…,"apiKey":…}]' BENCH_TIME_SCALE=20 BENCH_UPSTREAM_TIMEOUT_MS=2000 \
 *     node --import tsx bench/litellm-like.ts
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { litellmDefaults } from './litellm-like-defaults.js';

interface Backend {
  url: string;
  apiKey: string;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const port = Number(process.env.BENCH_PORT ?? 0);
const backends = JSON.parse(process.env.BENCH_BACKENDS ?? '[]') as Backend[];
const timeScale = Number(process.env.BENCH_TIME_SCALE ?? 1);
const upstreamTimeoutMs = Number(process.env.BENCH_UPSTREAM_TIMEOUT_MS ?? 600_000);
const cooldownMs = (litellmDefaults.cooldownSeconds * 1000) / timeScale;
const minuteMs = 60_000 / timeScale;

const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000, headersTimeout: upstreamTimeoutMs, bodyTimeout: upstreamTimeoutMs });
const cooldownUntil = backends.map(() => 0);
const fails = backends.map(() => ({ minute: 0, count: 0 }));
const counts = { requests: 0, attempts: 0, retries: 0, upstream429: 0, cooldowns: 0, noDeployment: 0 };

function coolDown(index: number, now: number): void {
  cooldownUntil[index] = now + cooldownMs;
  counts.cooldowns++;
}

/** A failure other than 429: cooldown once the current minute has seen more than allowed_fails. */
function countFailure(index: number, now: number): void {
  const minute = Math.floor(now / minuteMs);
  const entry = fails[index]!;
  if (entry.minute !== minute) {
    entry.minute = minute;
    entry.count = 0;
  }
  entry.count++;
  if (entry.count > litellmDefaults.allowedFails) coolDown(index, now);
}

/** The wait LiteLLM takes from an answer: retry-after-ms, else retry-after in seconds, if 0 < it ≤ 60 s. */
function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  const ms = Number(headers?.['retry-after-ms']);
  if (Number.isFinite(ms) && ms > 0 && ms <= 60_000) return ms;
  const seconds = Number(headers?.['retry-after']);
  if (Number.isFinite(seconds) && seconds > 0 && seconds <= 60) return seconds * 1000;
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  const headers: Record<string, string> = { 'content-type': answer.headers['content-type'] ?? 'application/json' };
  for (const name of ['retry-after', 'retry-after-ms', 'x-ratelimit-remaining-tokens', 'x-ratelimit-remaining-requests']) {
    const value = answer.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
  res.end(answer.body);
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (req.url === '/__bench/counts') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  const body = await readBody(req);
  counts.requests++;
  const tried = new Set<number>();
  let last: Answer | undefined;
  for (let attempt = 0; attempt <= litellmDefaults.numRetries; attempt++) {
    const now = performance.now();
    const healthy = backends.map((_, index) => index).filter((index) => cooldownUntil[index]! <= now);
    if (healthy.length === 0) {
      counts.noDeployment++;
      const wait = Math.max(0, Math.min(...cooldownUntil) - now);
      send(res, {
        status: 429,
        headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
        body: Buffer.from(JSON.stringify({ error: { message: 'No deployments available for selected model', type: 'None', code: '429' } })),
      });
      return;
    }
    const untried = healthy.filter((index) => !tried.has(index));
    const pool = untried.length > 0 ? untried : healthy;
    const pick = pool[Math.floor(Math.random() * pool.length)]!;
    tried.add(pick);
    const backend = backends[pick]!;
    counts.attempts++;
    if (attempt > 0) counts.retries++;
    try {
      const upstream = await request(`${backend.url}${req.url ?? '/'}`, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', 'api-key': backend.apiKey },
        body,
        dispatcher: agent,
      });
      const answer: Answer = { status: upstream.statusCode, headers: flatHeaders(upstream.headers), body: Buffer.from(await upstream.body.arrayBuffer()) };
      if (answer.status !== 429 && answer.status < 500) {
        send(res, answer);
        return;
      }
      last = answer;
      if (answer.status === 429) {
        counts.upstream429++;
        coolDown(pick, performance.now());
      } else countFailure(pick, performance.now());
    } catch (error) {
      countFailure(pick, performance.now());
      last = {
        status: 500,
        headers: {},
        body: Buffer.from(JSON.stringify({ error: { message: error instanceof Error ? error.message : String(error), type: 'None', code: '500' } })),
      };
    }
    if (attempt === litellmDefaults.numRetries) break;
    const later = performance.now();
    const anyHealthy = cooldownUntil.some((until) => until <= later);
    if (!anyHealthy) await sleep(retryAfterMs(last.headers) ?? (500 * 2 ** attempt) / timeScale);
  }
  send(res, last!);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: error instanceof Error ? error.message : String(error) } }));
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  void agent.close();
  server.closeAllConnections();
});
