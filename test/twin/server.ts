// startTwin(): the HTTPS server, ARM's request pipeline (auth, api-version, faults, routing, error
// bodies, request-id headers) and the twin's public handle.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArmError, type ArmRequest, type ArmResponse } from './arm.js';
import { Catalog, type ModelOffer, type RegionConfig } from './catalog.js';
import { TwinEvents, type TwinContext } from './context.js';
import { Faults, Latencies, type LatencySpec } from './faults.js';
import { OperationEngine } from './lro.js';
import { Router } from './router.js';
import { TwinState, type Account, type Subscription } from './state.js';
import { createTwinCa, type TwinCa } from './tls.js';
import { resourceRoutes } from './providers/resources.js';
import { accountRoutes } from './providers/cognitive-accounts.js';
import { deploymentRoutes } from './providers/cognitive-deployments.js';
import { catalogRoutes } from './providers/cognitive-catalog.js';
import { createAuthProviders, type AuthState, type AuthTwinOptions, type ImageStore } from './providers/registry-providers.js';
import { appPlatformRoutes } from './providers/containerapps.js';
import { DataPlane, type DataPlaneOptions, type IdentityEnv } from './dataplane/index.js';
import type { UserAssignedIdentity } from './providers/auth-state.js';
import { appState } from './providers/app-state.js';
import { AppRunner } from './apps/runner.js';
import { Edge } from './apps/edge.js';
import { ConnectProxy } from './apps/proxy.js';
import { createRedisProvider, type RedisState } from './providers/redis.js';
import { RedisPlanes } from './dataplane/redis-plane.js';

export interface TwinOptions extends AuthTwinOptions {
  /** The one subscription the signed-in identity sees. */
  subscription?: Partial<Subscription>;
  /** Retry-After seconds on LRO answers still running (default 0: tests poll at once). */
  retryAfterSeconds?: number;
  /** Default latency of every long-running operation (default 0–50 ms). */
  latency?: LatencySpec;
  /** Latency per operationId, e.g. { Accounts_Create: 30_000 }. */
  latencies?: Record<string, LatencySpec>;
  /** Regions and what they offer (default: DEFAULT_REGIONS × DEFAULT_MODELS). */
  regions?: Record<string, RegionConfig>;
  models?: ModelOffer[];
  /** Default quota limit per deployment SKU (default Standard 300, GlobalStandard 1000). */
  defaultLimits?: Record<string, number>;
  /** Endpoint reported for an account; a later session points it at a local simulator. */
  accountEndpoint?: (account: Account) => string;
  /** Reuse a CA (e.g. one per test file); otherwise one is made and removed on close(). */
  ca?: TwinCa;
  /** Run a data plane per account (a simulator process behind the HTTPS front door, docs/twin.md "Data plane");
   *  the accounts' endpoint then points at it unless `accountEndpoint` is given. Off by default. */
  dataPlane?: boolean | DataPlaneOptions;
  /** Run container apps whose image the twin built as local processes, reachable at their FQDN through
   *  `twin.proxyUrl`, with the log stream (docs/twin.md "Running container apps"). Turns on `dataPlane`
   *  (the managed-identity endpoint) when it is not set. Off by default. */
  runApps?: boolean;
  /** The authority (an OpenID issuer on 127.0.0.1) that running apps reach as Entra ID (ENTRA_AUTHORITY_HOST). */
  entraAuthorityHost?: string;
}

export interface TwinRequestRecord {
  method: string;
  path: string;
  operationId?: string;
  status: number;
}

export interface Twin {
  /** https://127.0.0.1:<port> — the Resource Manager endpoint to give the SDK clients. */
  url: string;
  /** PEM file of the CA that signed the twin's certificate (NODE_EXTRA_CA_CERTS). */
  caPath: string;
  /** The CA as PEM text (for an in-process https.Agent({ ca })). */
  ca: string;
  subscriptionId: string;
  tenantId: string;
  state: TwinState;
  catalog: Catalog;
  faults: Faults;
  latencies: Latencies;
  events: TwinEvents;
  /** Identities, role assignments (`hasRole`), registries and runs; `images`: what ACR Tasks runs built. */
  auth: AuthState;
  images: ImageStore;
  /** The accounts' data planes and the managed-identity endpoint (only with options.dataPlane). */
  dataPlane?: DataPlane;
  /** Azure Managed Redis clusters, their databases and access policy assignments. */
  redis: RedisState;
  /** Per database a redis-server behind a TLS front that checks Entra ID tokens (only with options.dataPlane). */
  redisPlanes?: RedisPlanes;
  /** The running container apps (only with options.runApps): running(app), output(app), whenReady(app), started. */
  apps?: AppRunner;
  /** http://127.0.0.1:<port>, an HTTP CONNECT proxy to app FQDNs and the log-stream hosts; '' without options.runApps.
   *  Clients: HTTPS_PROXY=<proxyUrl>, NO_PROXY=127.0.0.1,localhost, and trust of the twin's CA. */
  proxyUrl: string;
  /** The HTTPS edge behind the proxy (requests it answered) and the proxy (its tunnels), with options.runApps. */
  edge?: Edge;
  proxy?: ConnectProxy;
  /** IDENTITY_ENDPOINT / IDENTITY_HEADER for a process running as these user-assigned identities (needs options.dataPlane). */
  identityEndpointFor(identities: string | UserAssignedIdentity | (string | UserAssignedIdentity)[]): IdentityEnv;
  /** Every request answered, in order. */
  requests: TwinRequestRecord[];
  close(): Promise<void>;
}

const DEFAULT_SUBSCRIPTION: Subscription = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  displayName: 'Twin Subscription',
  tenantId: '88888888-8888-8888-8888-888888888888',
  state: 'Enabled',
};

export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const ownCa = !options.ca;
  const ca = options.ca ?? (await createTwinCa());
  const subscription = { ...DEFAULT_SUBSCRIPTION, ...options.subscription };
  const state = new TwinState();
  state.addSubscription(subscription);
  const faults = new Faults();
  const latencies = new Latencies(options.latency);
  for (const [op, l] of Object.entries(options.latencies ?? {})) latencies.set(op, l);
  const retryAfter = options.retryAfterSeconds ?? 0;
  const ops = new OperationEngine(faults, latencies, () => retryAfter);
  const catalog = new Catalog(options.regions, options.defaultLimits, options.models);
  const events = new TwinEvents();
  let dataPlane: DataPlane | undefined;
  const ctx: TwinContext = {
    state,
    catalog,
    ops,
    events,
    tenantId: subscription.tenantId,
    accountEndpoint: options.accountEndpoint ?? ((a) => dataPlane?.endpointFor(a) ?? defaultEndpoint(a)),
  };
  const router = new Router();
  const acr = createAuthProviders(ctx, options);
  // The Container Apps provider shows a user-assigned identity's ids as the MSI provider holds them.
  appState(ctx).identityIds = (id) => {
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i.exec(id);
    return m ? acr.state.identity(m[1]!, m[2]!, m[3]!) : undefined;
  };
  const redis = createRedisProvider(ctx);
  let redisPlanes: RedisPlanes | undefined;
  const dataPlaneOptions = options.dataPlane || (options.runApps ? true : undefined);
  if (dataPlaneOptions) {
    dataPlane = new DataPlane(ca, acr.state, dataPlaneOptions === true ? {} : dataPlaneOptions);
    await dataPlane.start(events);
    redisPlanes = new RedisPlanes(ca, dataPlane.tokens);
    redis.state.plane = redisPlanes;
  }
  let apps: AppRunner | undefined;
  let edge: Edge | undefined;
  let proxy: ConnectProxy | undefined;
  if (options.runApps) {
    const plane = dataPlane!;
    apps = new AppRunner(appState(ctx), acr.images, {
      caPath: ca.caPath,
      identityEnv: (clientIds) => plane.identityEndpointFor(clientIds),
      ...(options.entraAuthorityHost ? { entraAuthorityHost: options.entraAuthorityHost } : {}),
    });
    apps.attach(events);
    edge = new Edge(ca, apps, appState(ctx));
    await edge.start();
    proxy = new ConnectProxy(edge);
    await proxy.start();
  }
  router.add(
    ...resourceRoutes(ctx),
    ...accountRoutes(ctx),
    ...deploymentRoutes(ctx),
    ...catalogRoutes(ctx),
    ...appPlatformRoutes(ctx),
    ...acr.routes,
    ...redis.routes,
  );

  const requests: TwinRequestRecord[] = [];
  const server: Server = createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 'HEAD', { status: 500, body: new ArmError(500, 'InternalServerError', String(error)).body() }, {});
    });
  });
  let baseUrl = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(`${baseUrl}${req.url ?? '/'}`); // not new URL(path, base): '//subscriptions/…' (a '/'-led {scope}) is a path to ARM
    const method = (req.method ?? 'GET').toUpperCase();
    const ids = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': header(req, 'x-ms-correlation-request-id') ?? randomUUID(),
    };
    const record: TwinRequestRecord = { method, path: url.pathname, status: 0 };
    requests.push(record);
    const body = await readBody(req);
    const blob = acr.handleBlob(method, url, req.headers, body); // the storage endpoint ACR hands out (no ARM pipeline)
    if (blob) {
      record.status = blob.status;
      res.writeHead(blob.status, blob.headers).end(blob.body);
      return;
    }
    const reply = (r: ArmResponse) => {
      record.status = r.status;
      send(res, method, r, ids);
    };
    try {
      checkAuthorization(header(req, 'authorization'));
      const apiVersion = url.searchParams.get('api-version');
      if (!apiVersion) {
        throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      }
      const { found, pathMatched } = router.match(method, url.pathname);
      if (!found) throw noRoute(method, url.pathname, apiVersion, pathMatched);
      const { route, params } = found;
      record.operationId = route.operationId;
      if (!route.apiVersions.includes(apiVersion)) {
        throw new ArmError(
          400,
          'InvalidApiVersionParameter',
          `The api-version '${apiVersion}' is invalid. The supported versions are '${route.apiVersions.join(',')}'.`,
        );
      }
      const fault = faults.take(route.operationId, ['throttle', 'serverError', 'hang']);
      if (fault?.kind === 'hang') return; // never answered; close() drops the connection
      if (fault?.kind === 'throttle') {
        const seconds = fault.retryAfterSeconds ?? 0;
        throw new ArmError(
          429,
          fault.code ?? 'TooManyRequests',
          fault.message ??
            `The request is being throttled as the limit has been reached for operation type - ${route.operationId}. Please retry after ${seconds} seconds.`,
          { 'Retry-After': String(seconds) },
        );
      }
      if (fault?.kind === 'serverError') {
        throw new ArmError(500, fault.code ?? 'InternalServerError', fault.message ?? 'Encountered internal server error. Please try again.');
      }
      let parsed: unknown;
      if (body.length > 0) {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch (error) {
          throw new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`);
        }
      }
      const armRequest: ArmRequest = {
        method,
        url,
        params,
        query: url.searchParams,
        apiVersion,
        body: parsed,
        headers: req.headers,
        requestId: ids['x-ms-request-id'],
        correlationId: ids['x-ms-correlation-request-id'],
        baseUrl,
        operationId: route.operationId,
      };
      reply(await route.handler(armRequest));
    } catch (error) {
      if (error instanceof ArmError) reply({ status: error.status, body: error.body(), headers: error.headers });
      else throw error;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    caPath: ca.caPath,
    ca: ca.ca,
    subscriptionId: subscription.subscriptionId,
    tenantId: subscription.tenantId,
    state,
    catalog,
    faults,
    latencies,
    events,
    requests,
    auth: acr.state,
    images: acr.images,
    dataPlane,
    redis: redis.state,
    redisPlanes,
    apps,
    edge,
    proxy,
    proxyUrl: proxy?.url ?? '',
    identityEndpointFor(identities) {
      if (!dataPlane) throw new Error('identityEndpointFor needs startTwin({ dataPlane: true })');
      return dataPlane.identityEndpointFor(identities);
    },
    async close() {
      ops.close();
      events.removeAllListeners();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.all([proxy?.close(), edge?.close()]);
      await apps?.close();
      await acr.close();
      await dataPlane?.close();
      await redisPlanes?.close();
      if (ownCa) await ca.dispose();
    },
  };
}

function defaultEndpoint(account: Account): string {
  const sub = account.properties.customSubDomainName;
  if (typeof sub === 'string' && sub) return `https://${sub.toLowerCase()}.openai.azure.com/`;
  return `https://${account.location.replace(/\s+/g, '').toLowerCase()}.api.cognitive.microsoft.com/`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function checkAuthorization(value: string | undefined): void {
  const challenge = {
    'WWW-Authenticate':
      'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
  };
  if (!value) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge);
  if (!/^Bearer\s+\S+/i.test(value)) {
    throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", challenge);
  }
}

function noRoute(method: string, path: string, apiVersion: string, pathMatched: boolean): ArmError {
  if (pathMatched) {
    return new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
  }
  const m = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/([^/]+)\/([^/]+)/i.exec(path);
  if (m) {
    return new ArmError(
      400,
      'InvalidResourceType',
      `The resource type '${decodeURIComponent(m[2]!)}' could not be found in the namespace '${decodeURIComponent(m[1]!)}' for api version '${apiVersion}'.`,
    );
  }
  return new ArmError(404, 'NotFound', `The Azure twin does not implement '${method} ${path}'.`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, method: string, r: ArmResponse, ids: Record<string, string>): void {
  const headers: Record<string, string> = {
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    'X-Content-Type-Options': 'nosniff',
    ...ids,
    'x-ms-routing-request-id': `TWIN:${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${ids['x-ms-request-id'] ?? ''}`,
    ...r.headers,
  };
  const payload = r.body === undefined ? '' : JSON.stringify(r.body);
  if (payload) headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}
