// The managed-identity token endpoint of a Container Apps replica, as the twin issues it:
//   GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…&client_id=…   X-IDENTITY-HEADER: <secret>
//   → 200 {access_token, expires_on, resource, token_type: "Bearer", client_id}
// (what @azure/identity's ManagedIdentityCredential sends through MSAL's App Service source). Plain HTTP on
// 127.0.0.1, as in the container. Tokens are opaque random strings the twin remembers (TokenStore) so that
// an account's front door can tell who holds one.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthState, UserAssignedIdentity } from '../providers/auth-state.js';

export interface IssuedToken {
  token: string;
  principalId: string;
  clientId: string;
  /** The resource as asked for, without `/.default` and trailing slashes. */
  resource: string;
  /** ms since epoch. */
  expiresAt: number;
}

export interface IdentityEnv {
  IDENTITY_ENDPOINT: string;
  IDENTITY_HEADER: string;
}

export const normalizeResource = (resource: string): string =>
  resource
    .replace(/\/\.default$/i, '')
    .replace(/\/+$/, '')
    .toLowerCase();

export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();
  constructor(public lifetimeMs: number) {}

  issue(principalId: string, clientId: string, resource: string, now = Date.now()): IssuedToken {
    const issued = {
      token: randomBytes(32).toString('base64url'),
      principalId,
      clientId,
      resource: normalizeResource(resource),
      expiresAt: now + this.lifetimeMs,
    };
    this.tokens.set(issued.token, issued);
    return issued;
  }

  /** The token if the twin issued it (expired ones included: the caller checks expiry). */
  find(token: string): IssuedToken | undefined {
    return this.tokens.get(token);
  }

  /** Makes a token expire now (for tests of expiry). */
  expire(token: string): void {
    const t = this.tokens.get(token);
    if (t) t.expiresAt = Date.now() - 1;
  }

  list(): IssuedToken[] {
    return [...this.tokens.values()];
  }
}

export class IdentityEndpoint {
  private server?: Server;
  private base = '';
  /** IDENTITY_HEADER secret → the client ids it may ask tokens for. */
  private readonly secrets = new Map<string, Set<string>>();
  readonly refused: string[] = [];

  constructor(
    private readonly auth: AuthState,
    readonly tokens: TokenStore,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/msi/token`;
  }

  /** IDENTITY_ENDPOINT / IDENTITY_HEADER for a process that runs as these user-assigned identities
   *  (a clientId, an identity, or several). The secret is new for each call, as each replica has its own. */
  envFor(identities: string | UserAssignedIdentity | (string | UserAssignedIdentity)[]): IdentityEnv {
    const list = Array.isArray(identities) ? identities : [identities];
    const clientIds = new Set(list.map((i) => (typeof i === 'string' ? i : i.clientId).toLowerCase()));
    const secret = randomBytes(24).toString('hex');
    this.secrets.set(secret, clientIds);
    return { IDENTITY_ENDPOINT: this.base, IDENTITY_HEADER: secret };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const fail = (status: number, error: string, description: string) => {
      this.refused.push(`${status} ${description}`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error, error_description: description }));
    };
    if (req.method !== 'GET' || url.pathname !== '/msi/token') return fail(404, 'not_found', `no route ${req.method} ${url.pathname}`);
    const secret = req.headers['x-identity-header'];
    const allowed = typeof secret === 'string' ? this.secrets.get(secret) : undefined;
    if (!allowed) return fail(401, 'unauthorized', 'X-IDENTITY-HEADER is missing or unknown');
    if (url.searchParams.get('api-version') !== '2019-08-01') return fail(400, 'invalid_request', 'api-version must be 2019-08-01');
    const resource = url.searchParams.get('resource');
    if (!resource) return fail(400, 'invalid_request', 'resource is required');
    let clientId = url.searchParams.get('client_id') ?? undefined;
    if (!clientId && allowed.size === 1) clientId = [...allowed][0];
    if (!clientId || !allowed.has(clientId.toLowerCase())) {
      return fail(400, 'invalid_request', `client_id ${clientId ?? '(none)'} is not an identity assigned to this app`);
    }
    const identity = [...this.auth.identities.values()].find((i) => i.clientId.toLowerCase() === clientId!.toLowerCase());
    if (!identity) return fail(400, 'invalid_request', `no user-assigned identity with client_id ${clientId}`);
    const issued = this.tokens.issue(identity.principalId, identity.clientId, resource);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        access_token: issued.token,
        expires_on: String(Math.floor(issued.expiresAt / 1000)),
        resource,
        token_type: 'Bearer',
        client_id: identity.clientId,
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
