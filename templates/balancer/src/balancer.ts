/** The balancer's shared state: configuration, backends, connection pool, credential, logs and metrics. */
import { Agent } from 'undici';
import { createBackendToken, type CachedToken } from './backend-token.js';
import { ClientAuth } from './client-auth.js';
import type { BalancerConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { SharedState } from './shared-state/sync.js';
import { BackendState } from './state.js';

export interface BalancerOptions {
  now?: () => number;
  random?: () => number;
  /** Where log lines go; stdout by default. */
  writeLog?: (line: string) => void;
  /** This process's name in the shared state (default: the replica's name, the process id and a random part). */
  replica?: string;
}

export class Balancer {
  readonly backends: BackendState[];
  readonly auth: ClientAuth;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly dispatcher: Agent;
  readonly now: () => number;
  readonly random: () => number;
  readonly startedAt: number;
  /** Set by SHARED_STATE_URL: what replicas learn, shared through the store. */
  readonly shared: SharedState | undefined;
  /** Responses the balancer gave its clients, by HTTP status (all but /healthz). */
  readonly responses = new Map<number, number>();
  /** Client requests held for a request slot that comes back soon (proxy.ts). */
  waiting = 0;
  private token: Promise<CachedToken> | undefined;

  constructor(
    readonly config: BalancerConfig,
    options: BalancerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.startedAt = this.now();
    this.backends = config.backends.map((backend) => new BackendState(backend, config.requestWindowMs));
    this.auth = new ClientAuth(config);
    this.logger = createLogger(config.logFormat, options.writeLog);
    this.shared = config.sharedState
      ? new SharedState(config.sharedState, this.backends, this.logger, this.now, {
          azureClientId: config.azureClientId,
          maxCooldownMs: config.maxCooldownMs,
          replica: options.replica,
        })
      : undefined;
    this.metrics = new Metrics({
      backends: () => this.backends,
      responses: () => this.responses,
      now: this.now,
      waiting: () => this.waiting,
      shared: () => this.shared?.status(),
    });
    this.dispatcher = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: Math.min(config.httpTimeoutMs, 10_000) },
    });
  }

  countResponse(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }

  /** A bearer token for backends without an API key; the credential is made on first use. */
  async backendToken(): Promise<string> {
    this.token ??= createBackendToken(this.config.azureClientId);
    return (await this.token).get();
  }

  async close(): Promise<void> {
    await this.shared?.close();
    await this.dispatcher.destroy();
  }
}
