// The HTTPS front door of the accounts' data planes: one server (the twin's CA) for every account,
// routing by a path prefix: an account's endpoint is https://127.0.0.1:{port}/{slug}/ where slug is its
// custom subdomain (lower-cased; globally unique like {subdomain}.openai.azure.com) or else its internalId.
// It checks the caller's credential as Azure does, then forwards the request byte for byte (response
// streamed) to the account's simulator with the simulator's own api-key.
import { createServer, type Server } from 'node:https';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthState } from '../providers/auth-state.js';
import { ROLES } from '../providers/roles.js';
import type { Account } from '../state.js';
import type { TokenStore } from './identity-endpoint.js';
import type { SimulatorProcess } from './simulator-process.js';

export const COGNITIVE_SERVICES_AUDIENCE = 'https://cognitiveservices.azure.com';

/** What the front door needs of an account's data plane (kept by DataPlane). */
export interface AccountPlane {
  account: Account;
  sim: SimulatorProcess;
  /** Deployments ARM knows (name → model); others answer 404 DeploymentNotFound. */
  deployments: Map<string, string>;
  /** API keys the twin issued for this account. */
  keys: Set<string>;
  /** Control operations (start, TPM changes) in order; requests wait for them. */
  queue: Promise<void>;
  error?: Error;
}

// Bodies: reference aoai-data-plane.md §3.2/§3.3 unless marked inferred.
const TOKEN_401 = {
  statusCode: 401,
  message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.',
};
const KEY_401 = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};
/** Inferred (field reports; not in the reference): Azure's answer to an api-key when disableLocalAuth is true. */
const LOCAL_AUTH_401 = { error: { code: 'AuthenticationTypeDisabled', message: 'Key based authentication is disabled for this resource.' } };
const NOT_FOUND = { error: { code: '404', message: 'Resource not found' } };
const DEPLOYMENT_404 = {
  error: {
    code: 'DeploymentNotFound',
    message:
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
  },
};

export function accountScope(a: Account): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${a.name}`;
}

/** The data action and the operation path (with {deployment-id}) a data-plane path needs. */
export function dataAction(method: string, path: string): { action: string; operation: string } {
  const dated = /^\/openai\/deployments\/[^/]+\/(.+)$/.exec(path);
  const v1 = /^\/openai\/v1\/(.+)$/.exec(path);
  const rest = (dated?.[1] ?? v1?.[1] ?? path.replace(/^\/openai\/?/, '')).replace(/\/+$/, '');
  return {
    action: `Microsoft.CognitiveServices/accounts/OpenAI/deployments/${rest}/action`,
    operation: `${method} ${dated ? `/openai/deployments/{deployment-id}/${dated[1]}` : path}`,
  };
}

export class FrontDoor {
  private server?: Server;
  url = '';
  readonly requests: { account: string; method: string; path: string; status: number }[] = [];

  constructor(
    private readonly tls: { key: string; cert: string },
    private readonly auth: AuthState,
    private readonly tokens: TokenStore,
    private readonly planeFor: (slug: string) => AccountPlane | undefined,
  ) {}

  async start(): Promise<void> {
    this.server = createServer({ key: this.tls.key, cert: this.tls.cert }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { error: { code: 'InternalServerError', message: String(error) } });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  endpointFor(slug: string): string {
    return `${this.url}/${slug}/`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const m = /^\/([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(raw);
    const plane = m ? this.planeFor(decodeURIComponent(m[1]!).toLowerCase()) : undefined;
    const path = `/${(m?.[2] ?? '/').replace(/^\/+/, '')}`; // the openai client joins `${endpoint}/openai`: collapse '//'
    const record = { account: plane?.account.name ?? '', method: req.method ?? 'GET', path, status: 0 };
    this.requests.push(record);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      json(res, status, body, headers);
    };
    const body = await readBody(req);
    if (!plane) return answer(404, NOT_FOUND);
    const denied = this.checkCredential(plane, req, path);
    if (denied) return answer(denied.status, denied.body, denied.headers);
    const deployment = /^\/openai\/deployments\/([^/]+)\//.exec(path)?.[1] ?? v1Model(path, body);
    if (deployment !== undefined && !plane.deployments.has(decodeURIComponent(deployment))) return answer(404, DEPLOYMENT_404);
    await plane.queue;
    if (plane.error || !plane.sim.running) {
      return answer(503, {
        error: { code: 'ServiceUnavailable', message: `the account's simulator is not running${plane.error ? `: ${plane.error.message}` : ''}` },
      });
    }
    const headers = { ...req.headers };
    for (const h of ['host', 'authorization', 'api-key', 'connection', 'content-length']) delete headers[h];
    headers['api-key'] = plane.sim.apiKey;
    headers['content-length'] = String(body.length);
    await new Promise<void>((resolve, reject) => {
      const upstream = request(`${plane.sim.url}${path}${m?.[3] ?? ''}`, { method: req.method, headers }, (up) => {
        record.status = up.statusCode ?? 502;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', resolve);
        up.on('close', resolve); // a caller that hangs up mid-stream ends the exchange too
        up.on('error', reject);
      });
      upstream.on('error', reject);
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  }

  private checkCredential(
    plane: AccountPlane,
    req: IncomingMessage,
    path: string,
  ): { status: number; body: unknown; headers?: Record<string, string> } | undefined {
    const apiKey = req.headers['api-key'];
    const authorization = req.headers.authorization;
    if (typeof apiKey === 'string' && !authorization) {
      if (plane.account.properties.disableLocalAuth === true) return { status: 401, body: LOCAL_AUTH_401 };
      return plane.keys.has(apiKey) ? undefined : { status: 401, body: KEY_401 };
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const challenge = {
      'WWW-Authenticate':
        'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", resource_id="https://cognitiveservices.azure.com"',
    };
    const token = bearer ? this.tokens.find(bearer) : undefined;
    if (!token || token.expiresAt <= Date.now() || token.resource !== COGNITIVE_SERVICES_AUDIENCE) return { status: 401, body: TOKEN_401, headers: challenge };
    if (this.auth.hasRole(token.principalId, ROLES.cognitiveServicesOpenAIUser, accountScope(plane.account))) return undefined;
    const { action, operation } = dataAction(req.method ?? 'POST', path);
    // Inferred wording (field reports; not in the reference).
    return {
      status: 403,
      body: {
        error: {
          code: 'PermissionDenied',
          message: `The principal \`${token.principalId}\` lacks the required data action \`${action}\` to perform \`${operation}\` operation.`,
        },
      },
    };
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

function v1Model(path: string, body: Buffer): string | undefined {
  if (!path.startsWith('/openai/v1/') || body.length === 0) return undefined;
  try {
    const model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
    return typeof model === 'string' ? encodeURIComponent(model) : undefined;
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers }).end(payload);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
