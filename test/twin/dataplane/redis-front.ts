// The TLS front of one Azure Managed Redis database: it terminates TLS with the twin's certificate, reads
// the client's commands (RESP) and passes them to the database's redis-server, piping the replies back as
// bytes. Every AUTH (and HELLO … AUTH), the first and any later re-AUTH, is checked as Azure checks Entra ID
// credentials: the password must be a token the twin issued for https://redis.azure.com, unexpired, whose
// principal is the username and holds an access policy assignment on the database (or an access key, when
// the database allows them). The command is then rewritten to authenticate as the server's own user, with
// its password when allowed and a wrong one when not, so the server itself answers, in order with the other
// replies and in its own words (`-WRONGPASS invalid username-password pair or user is disabled.`,
// `-NOAUTH Authentication required.` for commands before a successful AUTH).
import { connect, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { CommandReader, encodeCommand, errorReply } from './resp.js';

export interface AuthDecision {
  ok: boolean;
  /** Why it was refused (for tests and debugging; never sent to the client). */
  reason?: string;
}

export interface AuthRecord extends AuthDecision {
  username: string;
  command: 'AUTH' | 'HELLO';
}

export interface FrontTarget {
  port: number;
  password: string;
}

export class RedisFront {
  port = 0;
  /** Every AUTH / HELLO AUTH the front judged, in order. */
  readonly auths: AuthRecord[] = [];
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
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
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
      for (const args of commands) server.write(encodeCommand(this.rewrite(args, target)));
    });
  }

  /** AUTH and HELLO … AUTH carry the client's credentials: judge them and put the server's own in their place. */
  private rewrite(args: Buffer[], target: FrontTarget): Buffer[] {
    const name = args[0]!.toString('latin1').toUpperCase();
    if (name === 'AUTH' && (args.length === 2 || args.length === 3)) {
      const [username, password] = args.length === 2 ? ['default', args[1]!.toString()] : [args[1]!.toString(), args[2]!.toString()];
      return ['AUTH', 'default', this.judge('AUTH', username, password, target)].map((a) => Buffer.from(a));
    }
    if (name === 'HELLO') {
      const at = args.findIndex((a, i) => i >= 2 && a.toString('latin1').toUpperCase() === 'AUTH');
      if (at > 0 && at + 2 < args.length) {
        const copy = [...args];
        copy[at + 1] = Buffer.from('default');
        copy[at + 2] = Buffer.from(this.judge('HELLO', args[at + 1]!.toString(), args[at + 2]!.toString(), target));
        return copy;
      }
    }
    return args;
  }

  private judge(command: 'AUTH' | 'HELLO', username: string, password: string, target: FrontTarget): string {
    const decision = this.authorize(username, password);
    this.auths.push({ command, username, ...decision });
    return decision.ok ? target.password : `${target.password}-refused-by-twin`;
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
