/** A real backend on 127.0.0.1:0 answering as each test says, and a balancer in front of it with a fixed clock. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Upstream, type ClientRequest } from '../src/attempt.js';
import { Balancer } from '../src/balancer.js';
import { ClientGone } from '../src/client-gone.js';
import { loadConfig, type Env } from '../src/config.js';
import { inspectBody } from '../src/request-body.js';
import { parseRoute } from '../src/routes.js';

export interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Fixture {
  url: string;
  balancer: Balancer;
  logs: string[];
  seen: Seen[];
  /** What the backend does with the next requests. */
  answer: (req: IncomingMessage, res: ServerResponse) => void;
  /** The client's request as the proxy builds it, ready to send. */
  upstream(method: string, target: string, body?: object): Upstream;
  close(): Promise<void>;
}

export const fixedNow = 1_000_000;

export async function startFixture(env: Env = {}): Promise<Fixture> {
  const seen: Seen[] = [];
  const logs: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      fixture.answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ BACKEND_1_URL: `${url}/prefix`, BACKEND_1_APIKEY: 'backend-key', CLIENT_API_KEYS: 'c', LOG_FORMAT: 'json', ...env });
  const balancer = new Balancer(config, { now: () => fixedNow, writeLog: (line) => logs.push(line) });
  const fixture: Fixture = {
    url,
    balancer,
    logs,
    seen,
    answer: (_req, res) => res.end('{}'),
    upstream(method, target, body) {
      const route = parseRoute(target);
      if (!route) throw new Error(`bad target ${target}`);
      const bytes = Buffer.from(body === undefined ? '' : JSON.stringify(body));
      const facts = inspectBody(bytes, 'application/json');
      const req = { method, headers: { 'content-type': 'application/json', 'api-key': 'client-key' }, socket: { remoteAddress: '127.0.0.1' } };
      const request: ClientRequest = {
        req: req as unknown as IncomingMessage,
        route,
        body: bytes,
        model: facts.model,
        deployment: route.pathDeployment ?? facts.model ?? '',
        estimatedTokens: facts.estimatedTokens,
        clientGone: new ClientGone(),
      };
      return new Upstream(balancer, request);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await balancer.close();
    },
  };
  return fixture;
}
