/** The HTTP server: /healthz, then client auth, then /status, /metrics or the proxy. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errors, sendAzureError } from './azure-errors.js';
import { Balancer, type BalancerOptions } from './balancer.js';
import type { BalancerConfig } from './config.js';
import { refuseEarly, withoutBody } from './client-body.js';
import { clientRequestId } from './http-headers.js';
import { proxyRequest } from './proxy.js';
import { balancerStatus } from './status.js';

export interface RunningBalancer {
  readonly balancer: Balancer;
  readonly server: Server;
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startBalancer(config: BalancerConfig, options: BalancerOptions = {}): Promise<RunningBalancer> {
  const balancer = new Balancer(config, options);
  balancer.shared?.start();
  const server = createServer(
    {
      keepAliveTimeout: 75_000,
      // A whole request may take long (a large upload that keeps moving); the body's idle timeout bounds it.
      requestTimeout: 0,
      // Answered by handle() as the balancer's own 400, marked like its other refusals.
      requireHostHeader: false,
      headersTimeout: config.clientHeaderTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.clientHeaderTimeoutMs),
    },
    (req, res) => {
      handle(balancer, req, res).catch((error: unknown) => {
        balancer.logger.log('error', 'Unexpected error while handling a request', {
          error: error instanceof Error ? error.message : String(error),
        });
        if (!res.headersSent) sendAzureError(res, { status: 500, code: 'InternalServerError', message: 'The load balancer failed on this request.' });
        else res.destroy();
      });
    },
  );
  // Node would answer an unknown Expect itself (417, unmarked); answer it as the balancer's own refusal.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    refuseEarly(req, res, errors.expectationFailed(String(req.headers.expect ?? '')));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A response still in progress on this connection (a stream, or an earlier pipelined request) must
    // not get a 400 written into it out of order: close instead.
    const inProgress = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
    if (!socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\nx-aoai-lb-backend: none\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    balancer,
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await balancer.close();
    },
  };
}

/** The balancer's own endpoints: they take no body, and GET or HEAD only. */
const ownEndpoints = new Set(['/healthz', '/status', '/metrics']);

async function handle(balancer: Balancer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  if (req.httpVersionMinor === 1 && req.httpVersionMajor === 1 && req.headers.host === undefined) {
    refuseEarly(req, res, errors.badRequest('An HTTP/1.1 request must carry a Host header.'));
    return;
  }
  if (ownEndpoints.has(path) && req.method !== 'GET' && req.method !== 'HEAD') {
    refuseEarly(req, res, errors.methodNotAllowed('GET, HEAD'));
    return;
  }
  if (path === '/healthz') {
    withoutBody(req, res);
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  const auth = await balancer.auth.check(req.headers);
  if (!auth.ok) {
    refuseEarly(req, res, auth.error);
    balancer.countResponse(auth.error.status);
    return;
  }
  if (path === '/status' || path === '/metrics') {
    withoutBody(req, res);
    if (path === '/status') sendJson(res, 200, balancerStatus(balancer));
    else {
      const text = await balancer.metrics.text().catch((error: Error) => error);
      if (text instanceof Error) sendAzureError(res, errors.metricsUnavailable(text.message));
      else {
        res.writeHead(200, { 'content-type': balancer.metrics.registry.contentType });
        res.end(text);
      }
    }
    return;
  }
  res.on('finish', () => balancer.countResponse(res.statusCode));
  const requestId = clientRequestId(req.headers) ?? randomUUID();
  await proxyRequest(balancer, req, res, requestId);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
