/**
 * A reference point for measure 2: the least a Node.js reverse proxy can do — node:http server, read the
 * body, undici keep-alive Agent to the backend with the backend's key, pass status, headers and body back.
 * No auth, selection, retries, metrics or logs. The balancer's cost above this one is its own logic;
 * the cost up to it is Node's HTTP server and client. Runs as its own process:
 *   BENCH_PORT=… BENCH_BACKEND_URL=… BENCH_BACKEND_KEY=… node --import tsx bench/minimal-proxy.ts
 */
import { createServer, type IncomingMessage } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

const port = Number(process.env.BENCH_PORT ?? 0);
const backend = new URL(process.env.BENCH_BACKEND_URL ?? 'http://127.0.0.1:1');
const apiKey = process.env.BENCH_BACKEND_KEY ?? '';
const agent = new Agent({ keepAliveTimeout: 30_000 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const notUpstream = new Set([...hopByHop, 'host', 'content-length', 'api-key']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
    return;
  }
  void (async () => {
    const body = await readBody(req);
    const headers: Record<string, string> = { 'api-key': apiKey, 'content-length': String(body.length) };
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !notUpstream.has(name)) headers[name] = value;
    const upstream = await agent.request({
      origin: backend.origin,
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body,
    });
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstream.headers)) if (value !== undefined && !hopByHop.has(name)) out[name] = value;
    res.writeHead(upstream.statusCode, out);
    upstream.body.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) upstream.body.pause();
    });
    res.on('drain', () => upstream.body.resume());
    upstream.body.on('end', () => res.end());
  })().catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
