/**
 * A minimal, zero-latency Azure-OpenAI-shaped backend for the overhead measures; runs as its own process:
 *   BENCH_PORT=… BENCH_BACKEND_KEY=… node --import tsx bench/fast-backend.ts
 *
 *   POST /openai/deployments/{d}/chat/completions   api-key must equal BENCH_BACKEND_KEY
 *        non-streaming: a fixed chat.completion JSON at once
 *        "stream":true: headers + the first SSE event at once, the rest ~5 ms later
 *        deployment "hold" with "stream":true: headers + first event, then one event a second until released
 *   POST /__bench/release   ends every held stream (usage chunk + [DONE]); answers {released: n}
 *   GET  /__bench/held      {held: n, connections, requests} (connections accepted, requests served so far)
 *   GET  /healthz           200
 * Work per request is kept as small as possible so that the measured process is the balancer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const port = Number(process.env.BENCH_PORT ?? 0);
const apiKey = process.env.BENCH_BACKEND_KEY ?? 'backend-key';
const restDelayMs = 5;

const created = Math.floor(Date.now() / 1000);
const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.' } }],
    usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 },
  }),
);
const commonHeaders = {
  'apim-request-id': '00000000-0000-4000-8000-000000000000',
  'x-ms-region': 'Bench Region',
  'x-ratelimit-remaining-requests': '9999',
  'x-ratelimit-remaining-tokens': '9999999',
};
const jsonHeaders = { ...commonHeaders, 'content-type': 'application/json', 'content-length': String(completion.length) };
const sseHeaders = { ...commonHeaders, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

function chunk(content: string | undefined, finish: string | null): string {
  const delta = content === undefined ? {} : { content };
  return `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}
const firstEvent = `data: ${JSON.stringify({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [] })}\n\n`;
const heartbeat = chunk('…', null);
const rest =
  chunk('The quick', null) +
  chunk(' brown fox', null) +
  chunk(' jumps.', null) +
  chunk(undefined, 'stop') +
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } })}\n\n` +
  'data: [DONE]\n\n';
const unauthorized = JSON.stringify({ error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } });

const held = new Set<ServerResponse>();
/** Connections accepted and requests served since start (for checking that peers keep connections alive). */
let connections = 0;
let requests = 0;
setInterval(() => {
  for (const res of held) res.write(heartbeat);
}, 1000).unref();

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = req.url ?? '/';
  if (url === '/healthz') {
    res.end('ok');
    return;
  }
  if (url === '/__bench/held') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ held: held.size, connections, requests }));
    return;
  }
  if (url === '/__bench/release' && req.method === 'POST') {
    const released = held.size;
    for (const stream of held) stream.end(rest);
    held.clear();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ released }));
    return;
  }
  if (req.method !== 'POST' || !url.startsWith('/openai/deployments/')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"404","message":"Resource not found"}}');
    return;
  }
  if (req.headers['api-key'] !== apiKey) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(unauthorized);
    return;
  }
  if (!body.includes('"stream":true')) {
    res.writeHead(200, jsonHeaders);
    res.end(completion);
    return;
  }
  res.writeHead(200, sseHeaders);
  res.write(firstEvent);
  if (url.startsWith('/openai/deployments/hold/')) {
    held.add(res);
    res.on('close', () => held.delete(res));
    return;
  }
  setTimeout(() => res.end(rest), restDelayMs);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  requests++;
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (text: string) => (body += text));
  req.on('end', () => handle(req, res, body));
});
server.on('connection', () => connections++);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
