// The twin's "edge": one HTTPS server standing for Container Apps' public endpoints, reached through the
// twin's CONNECT proxy (proxy.ts). Its certificate for each SNI name is minted on demand by the twin's CA.
// By Host:
//  - an app's FQDN (or a revision FQDN) with external ingress → the request is forwarded, streaming both
//    ways, to one of the app's ready replicas (round robin);
//  - `{region}.azurecontainerapps.dev` → the log stream and event streams, with the getAuthToken token.
import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { normalizeLocation } from '../arm.js';
import type { AppState } from '../providers/app-state.js';
import { issueServerCertificate, type TwinCa } from '../tls.js';
import { LogBuffer, consoleLine, type LogLine } from './logs.js';
import type { AppRunner } from './runner.js';

const STREAM_HOST = /^([a-z0-9]+)\.azurecontainerapps\.dev$/;
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade'];
/** Inferred (field reports of the Container Apps error page; not in the reference). */
const APP_404 = 'Error 404 - This Container App is stopped or does not exist.';
/** Envoy's answers (field reports): no ready replica, and a replica that refused the connection. */
const NO_UPSTREAM = 'no healthy upstream';
const UPSTREAM_RESET = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';

export interface EdgeRequest {
  host: string;
  method: string;
  path: string;
  status: number;
  /** The replica the request went to, if any. */
  replica?: string;
}

export class Edge {
  private server?: Server;
  port = 0;
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  readonly requests: EdgeRequest[] = [];

  constructor(
    private readonly ca: TwinCa,
    private readonly runner: AppRunner,
    private readonly store: AppState,
  ) {}

  /** Whether the twin answers for this host name: a live environment's domain (and its subdomains) or a log-stream host. */
  serves(host: string): boolean {
    const h = host.toLowerCase();
    if (STREAM_HOST.test(h)) return true;
    return [...this.store.environments.values()].some((e) => h === e.defaultDomain.toLowerCase() || h.endsWith(`.${e.defaultDomain.toLowerCase()}`));
  }

  async start(): Promise<void> {
    this.server = createServer(
      {
        key: this.ca.key,
        cert: this.ca.cert,
        SNICallback: (servername, cb) => {
          if (!this.serves(servername)) return cb(null, undefined);
          this.contextFor(servername.toLowerCase()).then(
            (ctx) => cb(null, ctx),
            (error: Error) => cb(error, undefined),
          );
        },
      },
      (req, res) => {
        this.handle(req, res).catch((error: unknown) => {
          if (!res.headersSent) text(res, 500, `twin edge: ${String(error)}`);
          else res.destroy();
        });
      },
    );
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private contextFor(host: string): Promise<SecureContext> {
    let ctx = this.contexts.get(host);
    if (!ctx) {
      ctx = issueServerCertificate(this.ca, host).then(({ key, cert }) => createSecureContext({ key, cert }));
      ctx.catch(() => this.contexts.delete(host));
      this.contexts.set(host, ctx);
    }
    return ctx;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const record: EdgeRequest = { host, method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    this.requests.push(record);
    res.once('finish', () => (record.status = res.statusCode));
    res.once('close', () => (record.status ||= res.statusCode));
    const stream = STREAM_HOST.exec(host);
    if (stream) return this.logStream(req, res, stream[1]!);
    const route = this.runner.route(host);
    if (!route || !route.app.snapshot.ingress?.external) return text(res, 404, APP_404);
    const replica = this.runner.pick(route.app, route.revision);
    if (!replica) return text(res, 503, NO_UPSTREAM);
    record.replica = replica.name;
    forward(req, res, replica.containers[0]!.port);
  }

  /** GET …/containers/{c}/logstream, …/containerApps/{a}/eventstream, …/managedEnvironments/{e}/eventstream. */
  private async logStream(req: IncomingMessage, res: ServerResponse, region: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://stream');
    const base = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/(containerApps|managedEnvironments)\/([^/]+)\/(.*)$/i.exec(url.pathname);
    if (!base) return text(res, 404, 'Not Found');
    const [, sub, rg, kind, name, rest] = base as unknown as [string, string, string, string, string, string];
    if (req.method !== 'GET') return text(res, 405, 'Method Not Allowed');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const q = parseQuery(url.searchParams);
    if (typeof q === 'string') return text(res, 400, q);

    if (kind.toLowerCase() === 'managedenvironments') {
      const env = this.store.environment(sub, rg, name);
      const t = bearer ? this.store.envAuthTokens.get(bearer) : undefined;
      if (!env || !t || t.environment !== env || Date.parse(t.expires) <= Date.now()) return text(res, 401, 'Unauthorized');
      if (rest.toLowerCase() !== 'eventstream' || normalizeLocation(env.location) !== region) return text(res, 404, 'Not Found');
      const buffer =
        this.runner.environmentEvents.get(`/subscriptions/${sub}/resourcegroups/${rg}/providers/microsoft.app/managedenvironments/${name}`.toLowerCase()) ??
        endedBuffer();
      return streamLines(req, res, buffer, q, [], (l) => l.text);
    }

    const app = this.store.app(sub, rg, name);
    const t = bearer ? this.store.authTokens.get(bearer) : undefined;
    if (!app || !t || t.app !== app || Date.parse(t.expires) <= Date.now()) return text(res, 401, 'Unauthorized');
    if (normalizeLocation(app.location) !== region) return text(res, 404, 'Not Found');
    const appId = `/subscriptions/${app.subscriptionId}/resourceGroups/${app.resourceGroup}/providers/Microsoft.App/containerApps/${app.name}`;
    if (rest.toLowerCase() === 'eventstream') {
      return streamLines(req, res, this.runner.apps.get(appId.toLowerCase())?.events ?? endedBuffer(), q, [], (l) => l.text);
    }
    const m = /^revisions\/([^/]+)\/replicas\/([^/]+)\/containers\/([^/]+)\/logstream$/i.exec(rest);
    if (!m) return text(res, 404, 'Not Found');
    const [, revision, replica, container] = m as unknown as [string, string, string, string];
    const known = app.revisions.find((r) => r.name.toLowerCase() === revision.toLowerCase())?.replicas.some((r) => r.toLowerCase() === replica.toLowerCase());
    const proc = this.runner.container(appId, revision, replica, container);
    if (!known || !proc) return text(res, 404, `Container '${container}' of replica '${replica}' (revision '${revision}') was not found.`);
    if (proc.pid === undefined) {
      // The twin's own answer: the container never started (e.g. its image could not be pulled).
      return text(res, 400, `Container '${container}' is not running: ${proc.status.runningState} ${proc.status.runningStateDetails}`.trim());
    }
    const now = new Date().toISOString();
    const hello: LogLine[] = [
      { time: now, stream: 'system', text: `Connecting to the container '${proc.name}'...` },
      { time: now, stream: 'system', text: `Successfully Connected to container: '${proc.name}' [Revision: '${proc.revision}', Replica: '${proc.replica}']` },
    ];
    return streamLines(req, res, proc.logs, q, hello, (l) => consoleLine(l, q.output));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

interface StreamQuery {
  follow: boolean;
  output: 'text' | 'json';
  tailLines?: number;
}

function parseQuery(q: URLSearchParams): StreamQuery | string {
  const follow = (q.get('follow') ?? 'false').toLowerCase();
  const output = (q.get('output') ?? 'text').toLowerCase();
  const tail = q.get('tailLines');
  if (!['true', 'false'].includes(follow)) return `follow must be true or false, not '${q.get('follow')}'.`;
  if (output !== 'text' && output !== 'json') return `output must be text or json, not '${q.get('output')}'.`;
  if (tail !== null && !/^\d+$/.test(tail)) return `tailLines must be a non-negative integer, not '${tail}'.`;
  return { follow: follow === 'true', output, tailLines: tail === null ? undefined : Number(tail) };
}

function endedBuffer(): LogBuffer {
  const b = new LogBuffer(0);
  b.end();
  return b;
}

/** Writes `hello`, the last `tailLines` lines, then (follow=true) each new line until the source ends or the client leaves. */
function streamLines(req: IncomingMessage, res: ServerResponse, buffer: LogBuffer, q: StreamQuery, hello: LogLine[], format: (l: LogLine) => string): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.flushHeaders();
  for (const l of [...hello, ...buffer.tail(q.tailLines)]) res.write(`${format(l)}\n`);
  if (!q.follow) {
    res.end();
    return;
  }
  const stop = buffer.follow(
    (l) => res.write(`${format(l)}\n`),
    () => res.end(),
  );
  req.socket.once('close', stop);
  res.once('close', stop);
}

function forward(req: IncomingMessage, res: ServerResponse, port: number): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.includes(k) && v !== undefined) headers[k] = v;
  const client = req.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-for'] = client;
  headers['x-forwarded-proto'] = 'https';
  headers['x-envoy-external-address'] = client;
  headers['x-request-id'] = randomUUID();
  const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (up) => {
    const out: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.includes(k) && v !== undefined) out[k] = v;
    res.writeHead(up.statusCode ?? 502, out);
    res.flushHeaders(); // server-sent events: headers go out before the first event
    up.pipe(res);
    up.once('error', () => res.destroy());
    up.once('aborted', () => res.destroy());
  });
  upstream.once('error', () => {
    if (!res.headersSent) text(res, 503, UPSTREAM_RESET);
    else res.destroy();
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) }).end(body);
}
