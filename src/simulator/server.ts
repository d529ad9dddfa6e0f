/** The node:http server: dispatch, socket tracking and a prompt close(). */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CONTROL_PREFIX, handleControl } from './control.js';
import { handleDataPlane, type DataPlaneConfig } from './dataplane.js';
import { DeploymentTable } from './deployments.js';
import { FaultQueue } from './faults.js';
import { sendJson } from './http.js';
import { errors } from './responses.js';
import type { Clock } from './rate-limiter.js';
import { DEFAULT_DEPLOYMENTS, type DeploymentSpec, type FaultSpec, type Simulator, type SimulatorOptions, type SimulatorStats } from './types.js';

export const DEFAULT_LATENCY = { firstTokenMs: 200, perTokenMs: 10 } as const;
export const DEFAULT_COMPLETION_TOKENS = 20;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new TypeError(`${what} must be a positive number`);
  return value;
}

/** Starts a simulator; `clock` is for tests of the windows (defaults to a monotonic clock). */
export async function startSimulatorWithClock(options: SimulatorOptions = {}, clock: Clock = () => performance.now()): Promise<Simulator> {
  const timeScale = positive(options.timeScale, 1, 'timeScale');
  const latency = options.latency === 'none' ? { firstTokenMs: 0, perTokenMs: 0 } : (options.latency ?? DEFAULT_LATENCY);
  if (!(latency.firstTokenMs >= 0 && latency.perTokenMs >= 0)) throw new TypeError('latency values must be ≥ 0');
  const completionTokens = positive(options.completionTokens, DEFAULT_COMPLETION_TOKENS, 'completionTokens');
  const deployments = new DeploymentTable(clock, timeScale);
  for (const spec of options.deployments ?? DEFAULT_DEPLOYMENTS) deployments.upsert(spec);
  const faults = new FaultQueue();

  const config: DataPlaneConfig = {
    region: options.region ?? 'East US',
    auth: { apiKeys: [...(options.apiKeys ?? [])], acceptBearer: options.acceptBearer },
    firstTokenMs: latency.firstTokenMs / timeScale,
    perTokenMs: latency.perTokenMs / timeScale,
    completionTokens: Math.floor(completionTokens),
    errorWording: options.errorWording ?? 'current',
    maxBodyBytes: positive(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes'),
    deployments,
    faults,
    inFlight: { count: 0 },
  };

  const control = {
    setDeploymentTpm: (name: string, tpm: number) => deployments.setTpm(name, tpm),
    addDeployment: (spec: DeploymentSpec) => deployments.upsert(spec),
    addFault: (fault: FaultSpec) => faults.add(fault),
    clearFaults: () => faults.clear(),
    stats: (): SimulatorStats => ({ deployments: deployments.stats(), faults: faults.list(), inFlight: config.inFlight.count }),
    reset: () => {
      deployments.reset();
      faults.clear();
    },
  };

  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    dispatch(req, res).catch((error: unknown) => internalError(res, error));
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://simulator');
    } catch {
      req.resume();
      return sendJson(res, 404, errors.resourceNotFound().body);
    }
    if (url.pathname.startsWith(CONTROL_PREFIX)) return handleControl(control, req, res, url);
    return handleDataPlane(config, req, res, url);
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // resets by clients are normal here
  });
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    ...control,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function internalError(res: ServerResponse, error: unknown): void {
  // A bug in the simulator must not take the process down; answer 500 if we still can.
  process.emitWarning(`aoai simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (!res.headersSent && !res.destroyed) sendJson(res, 500, errors.serverError('simulator-internal-error').body);
  else res.destroy();
}
