// The twin's HTTP CONNECT proxy (twin.proxyUrl): how a client reaches `https://{app fqdn}` and the log
// stream host without DNS. Clients set HTTPS_PROXY=<proxyUrl> and NO_PROXY=127.0.0.1,localhost.
//  - CONNECT {host}:443 for a host the edge serves → a tunnel to the edge (TLS with the twin's CA);
//  - CONNECT 127.0.0.1|localhost|[::1]:{port} → a tunnel straight to that port;
//  - anything else → 502 with a plain-text reason (there is no internet here).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface ProxyRecord {
  target: string;
  /** 'edge', 'loopback' or 'refused'. */
  route: 'edge' | 'loopback' | 'refused';
}

export class ConnectProxy {
  private server?: Server;
  url = '';
  readonly connects: ProxyRecord[] = [];
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly edge: { serves(host: string): boolean; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.plain(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.tunnel(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Absolute-form requests (plain http:// through the proxy) are not forwarded. */
  private plain(req: IncomingMessage, res: ServerResponse): void {
    const body = `twin proxy: only CONNECT tunnels are served (${req.method ?? ''} ${req.url ?? ''}); use https:// URLs.\n`;
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) }).end(body);
  }

  private tunnel(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const target = req.url ?? '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    const host = m?.[1]?.toLowerCase() ?? '';
    const port = Number(m?.[2] ?? 0);
    let upstream: { host: string; port: number } | undefined;
    let route: ProxyRecord['route'] = 'refused';
    if (m && LOOPBACK.has(host)) {
      upstream = { host: host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''), port };
      route = 'loopback';
    } else if (m && port === 443 && this.edge.serves(host)) {
      upstream = { host: '127.0.0.1', port: this.edge.port };
      route = 'edge';
    }
    this.connects.push({ target, route });
    if (!upstream) {
      const why = !m
        ? `'${target}' is not host:port`
        : this.edge.serves(host)
          ? `the twin serves ${host} on port 443 only`
          : `no route to ${host}: the Azure twin has no internet; it serves Container Apps hosts (*.azurecontainerapps.io of its environments, {region}.azurecontainerapps.dev) and loopback ports`;
      const body = `twin proxy: ${why}\n`;
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const out: Socket = connect(upstream.port, upstream.host);
    let connected = false;
    this.sockets.add(out);
    out.once('close', () => this.sockets.delete(out));
    out.once('connect', () => {
      connected = true;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) out.write(head);
      out.pipe(socket);
      socket.pipe(out);
      out.once('close', () => socket.destroy());
    });
    out.on('error', (error) => {
      if (connected) return socket.destroy();
      const body = `twin proxy: cannot connect to ${target}: ${error.message}\n`;
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    socket.once('close', () => out.destroy());
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
