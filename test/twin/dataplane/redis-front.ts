// The TLS front of one Azure Managed Redis database: it terminates TLS with the twin's certificate, reads
// the client's commands (RESP) and passes them to the database's redis-server, piping the replies back as
// bytes. Every AUTH (and HELLO … AUTH), the first and any later re-AUTH, is checked as Azure checks Entra ID
// credentials: the password must be a token the twin issued for https://redis.azure.com, unexpired, whose
// principal is the username and holds an access policy assignment on the database (or an access key, when
// the database allows them). The command is then rewritten to authenticate as the server's own user, with
// its password when allowed and a wrong one when not, so the server itself answers, in order with the other
// replies and in its own words (`-WRONGPASS invalid username-password pair or user is disabled.`,
// `-NOAUTH Authentication required.` for commands before a successful AUTH). A connection signed in with a token
// is closed when that token expires, unless a later successful AUTH has renewed it; an AUTH that Redis refuses
// (in RESP2 subscribe mode, where it takes no AUTH) renews nothing (docs/twin.md "Token expiry").
import { connect, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { CommandReader, encodeCommand, errorReply } from './resp.js';

export interface AuthDecision {
  ok: boolean;
  /** Why it was refused (for tests and debugging; never sent to the client). */
  reason?: string;
  /** When the accepted credential stops being valid (ms since epoch): a token's expiry; none for an access key. */
  expiresAt?: number;
}

export interface AuthRecord extends AuthDecision {
  username: string;
  command: 'AUTH' | 'HELLO';
}

export interface FrontTarget {
  port: number;
  password: string;
}

/** A connection the front closed because the token it signed in with expired without a fresh AUTH. */
export interface ExpiredConnection {
  username: string;
  expiresAt: number;
  closedAt: number;
}

/** What the front knows of one client connection, from its commands: what Redis will make of an AUTH there. */
class Session {
  /** Who signed in last, and until when (none for an access key). */
  username?: string;
  expiresAt?: number;
  timer?: NodeJS.Timeout;
  authenticated = false;
  resp: 2 | 3 = 2;
  private readonly subscriptions = new Map<string, Set<string>>([
    ['SUBSCRIBE', new Set()],
    ['PSUBSCRIBE', new Set()],
    ['SSUBSCRIBE', new Set()],
  ]);

  /** In RESP2 with a subscription Redis takes only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET (no AUTH, no HELLO). */
  get inResp2Subscribe(): boolean {
    return this.resp === 2 && [...this.subscriptions.values()].some((set) => set.size > 0);
  }

  /** Follows (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE as Redis counts them: one set each of channels, patterns, shard channels. */
  track(name: string, args: Buffer[]): void {
    const subscribe = this.subscriptions.get(name);
    if (subscribe && this.authenticated) for (const a of args.slice(1)) subscribe.add(a.toString('latin1'));
    const unsubscribe = this.subscriptions.get(name.replace(/UNSUBSCRIBE$/, 'SUBSCRIBE'));
    if (name.endsWith('UNSUBSCRIBE') && unsubscribe) {
      if (args.length === 1) unsubscribe.clear();
      for (const a of args.slice(1)) unsubscribe.delete(a.toString('latin1'));
    }
  }

  /** RESET: back to RESP2, no subscriptions, and no longer authenticated (Redis requires a new AUTH). */
  reset(): void {
    this.resp = 2;
    this.authenticated = false;
    this.username = undefined;
    this.expiresAt = undefined;
    for (const set of this.subscriptions.values()) set.clear();
  }
}

/** setTimeout's longest delay; a later expiry is waited for in several steps. */
const maxTimerMs = 2 ** 31 - 1;

export class RedisFront {
  port = 0;
  /** Every AUTH / HELLO AUTH the front judged, in order. */
  readonly auths: AuthRecord[] = [];
  /** Connections closed because their token expired, in order. */
  readonly expired: ExpiredConnection[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly tls: { key: string; cert: string },
    private readonly target: () => FrontTarget | undefined,
    private readonly authorize: (username: string, password: string) => AuthDecision,
  ) {}

  async start(): Promise<void> {
    this.server = createServer({ key: this.tls.key, cert: this.tls.cert, minVersion: 'TLSv1.2' }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  private accept(client: TLSSocket): void {
    const session = new Session();
    this.sockets.add(client);
    client.on('close', () => {
      this.sockets.delete(client);
      clearTimeout(session.timer);
    });
    client.on('error', () => client.destroy());
    const target = this.target();
    if (!target) {
      client.end(errorReply('ERR the database is not running'));
      return;
    }
    const server = connect(target.port, '127.0.0.1');
    this.sockets.add(server);
    server.on('close', () => {
      this.sockets.delete(server);
      client.destroy();
    });
    server.on('error', () => server.destroy());
    client.on('close', () => server.destroy());
    client.on('end', () => server.end());
    server.pipe(client);
    const reader = new CommandReader();
    client.on('data', (chunk: Buffer) => {
      let commands: Buffer[][];
      try {
        commands = reader.push(chunk);
      } catch (error) {
        client.end(errorReply((error as Error).message));
        return;
      }
      for (const args of commands) {
        if (client.destroyed) return;
        server.write(encodeCommand(this.rewrite(args, target, session, client)));
      }
    });
  }

  /** AUTH and HELLO … AUTH carry the client's credentials: judge them and put the server's own in their place. */
  private rewrite(args: Buffer[], target: FrontTarget, session: Session, client: TLSSocket): Buffer[] {
    const name = args[0]!.toString('latin1').toUpperCase();
    const refused = `${target.password}-refused-by-twin`;
    if (name === 'RESET') {
      session.reset();
      this.watchExpiry(session, client);
      return args;
    }
    session.track(name, args);
    const blocked = session.inResp2Subscribe;
    const credential = (command: 'AUTH' | 'HELLO', username: string, password: string): { password: string; ok: boolean } => {
      if (!blocked) {
        const judged = this.judge(command, username, password, target, session, client);
        return { password: judged, ok: judged === target.password };
      }
      // Redis answers "-ERR Can't execute …" here: the connection keeps its credential and its deadline.
      this.auths.push({ command, username, ok: false, reason: `${command} is not allowed in RESP2 subscribe mode` });
      return { password: refused, ok: false };
    };
    if (name === 'AUTH' && (args.length === 2 || args.length === 3)) {
      const [username, password] = args.length === 2 ? ['default', args[1]!.toString()] : [args[1]!.toString(), args[2]!.toString()];
      return ['AUTH', 'default', credential('AUTH', username, password).password].map((a) => Buffer.from(a));
    }
    if (name === 'HELLO') {
      const version = args[1]?.toString('latin1');
      const at = args.findIndex((a, i) => i >= 2 && a.toString('latin1').toUpperCase() === 'AUTH');
      const copy = [...args];
      let ok = !blocked && session.authenticated;
      if (at > 0 && at + 2 < args.length) {
        const judged = credential('HELLO', args[at + 1]!.toString(), args[at + 2]!.toString());
        copy[at + 1] = Buffer.from('default');
        copy[at + 2] = Buffer.from(judged.password);
        ok = judged.ok;
      }
      // A HELLO that succeeds switches the protocol; one refused (bad AUTH, not signed in, subscribe mode) changes nothing.
      if (ok && (version === '2' || version === '3')) session.resp = Number(version) as 2 | 3;
      return copy;
    }
    return args;
  }

  private judge(command: 'AUTH' | 'HELLO', username: string, password: string, target: FrontTarget, session: Session, client: TLSSocket): string {
    const decision = this.authorize(username, password);
    this.auths.push({ command, username, ...decision });
    if (!decision.ok) return `${target.password}-refused-by-twin`;
    // A refused AUTH leaves the connection as it was; an accepted one replaces its credential and its expiry.
    session.authenticated = true;
    session.username = username;
    session.expiresAt = decision.expiresAt;
    this.watchExpiry(session, client);
    return target.password;
  }

  /** Closes the connection when its credential expires (a later successful AUTH moves or removes the deadline). */
  private watchExpiry(session: Session, client: TLSSocket): void {
    clearTimeout(session.timer);
    session.timer = undefined;
    const expiresAt = session.expiresAt;
    if (expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    if (left > 0) {
      session.timer = setTimeout(() => this.watchExpiry(session, client), Math.min(left, maxTimerMs));
      session.timer.unref();
      return;
    }
    this.expired.push({ username: session.username ?? '', expiresAt, closedAt: Date.now() });
    client.destroy();
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
