/**
 * The connection to the shared store (two, in fact: commands, and a subscriber for the events channel), and
 * whether it is usable. Nothing waits for the store: commands are refused at once while it is away (no
 * offline queue), the clients reconnect on their own, and the balancer serves on its local state meanwhile.
 * Each change of health is logged once.
 */
import { createClient, type RedisClientType, type RedisFunctions, type RedisModules } from '@redis/client';
import type { Logger } from '../logger.js';
import { shownStoreUrl, type SharedStateConfig } from './config.js';
import { entraCredentialsProvider } from './credentials.js';
import { scripts } from './scripts.js';

export type StoreClient = RedisClientType<RedisModules, RedisFunctions, typeof scripts, 2>;

/** `connecting` until the first connection; `degraded` while the store is unreachable or too slow. */
export type StoreMode = 'connecting' | 'shared' | 'degraded';

export interface StoreHealth {
  mode: StoreMode;
  /** The store, without user or key. */
  store: string;
  /** When the mode last changed (ms since epoch). */
  since: number;
  /** Why the store was last unusable. */
  lastError: string | undefined;
}

const maxReconnectDelayMs = 2000;
/** A bound on what may wait in the client's queue when the store is slow; beyond it commands are refused. */
const maxQueuedCommands = 10_000;

export class SharedStore {
  readonly client: StoreClient;
  readonly subscriber: StoreClient;
  readonly health: StoreHealth;
  /** Called after each (re)connection, once both connections are ready. */
  onJoined: () => void = () => undefined;
  private readonly ready = { client: false, subscriber: false };
  private closed = false;

  constructor(
    readonly config: SharedStateConfig,
    readonly replica: string,
    private readonly logger: Logger,
    private readonly now: () => number,
    azureClientId: string | undefined,
  ) {
    this.health = { mode: 'connecting', store: shownStoreUrl(config.url), since: now(), lastError: undefined };
    // One credentials provider per connection (each renews the sign-in of its own client).
    const credentials = () =>
      config.auth === 'entra'
        ? {
            credentialsProvider: entraCredentialsProvider({ clientId: azureClientId, username: config.username, onError: (error) => this.problem(error) }),
          }
        : {};
    this.client = createClient({
      url: config.url.href,
      ...credentials(),
      name: `aoai-lb:${replica}`,
      RESP: 2,
      scripts,
      disableOfflineQueue: true,
      commandsQueueMaxLength: maxQueuedCommands,
      pingInterval: 30_000,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxReconnectDelayMs) + Math.floor(Math.random() * 50),
      },
    }) as StoreClient;
    // With Entra ID the subscriber speaks RESP3: in RESP2 a subscribed connection takes no AUTH, so node-redis
    // skips its re-AUTH and Azure disrupts it once the token expires. Its messages arrive as with RESP2 (strings).
    // With a key it stays on RESP2, which any Redis speaks.
    this.subscriber = this.client.duplicate({ RESP: config.auth === 'entra' ? 3 : 2, ...credentials() }) as unknown as StoreClient;
    this.watch(this.client, 'client');
    this.watch(this.subscriber, 'subscriber');
  }

  get usable(): boolean {
    return this.health.mode === 'shared';
  }

  /** Starts connecting; never throws and never waits for the store. */
  start(subscribe: (subscriber: StoreClient) => Promise<unknown>): void {
    const connect = (client: StoreClient): Promise<unknown> => client.connect().catch((error: unknown) => this.problem(error));
    void connect(this.client);
    void connect(this.subscriber).then(() => (this.closed ? undefined : subscribe(this.subscriber).catch((error: unknown) => this.problem(error))));
  }

  /** The store is there but does not answer in time: serve locally until it does. */
  slow(what: string): void {
    this.problem(new Error(what));
  }

  /** A command or refresh went through: the store is usable again if both connections are ready. */
  answered(): void {
    if (this.health.mode !== 'shared' && this.ready.client && this.ready.subscriber) this.enter('shared');
  }

  problem(error: unknown): void {
    if (this.closed) return;
    const secret = decodeURIComponent(this.config.url.password);
    const text = describe(error);
    this.health.lastError = secret ? text.split(secret).join('***') : text;
    if (this.health.mode !== 'degraded') this.enter('degraded');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.client, this.subscriber].map((client) => (client.isOpen ? client.close().catch(() => client.destroy()) : undefined)));
  }

  private watch(client: StoreClient, which: 'client' | 'subscriber'): void {
    client.on('error', (error: unknown) => this.problem(error));
    client.on('ready', () => {
      this.ready[which] = true;
      this.answered();
    });
    client.on('end', () => {
      this.ready[which] = false;
    });
    client.on('reconnecting', () => {
      this.ready[which] = false;
      this.problem(this.health.lastError ?? 'the connection to the store closed');
    });
  }

  private enter(mode: StoreMode): void {
    const was = this.health.mode;
    this.health.mode = mode;
    this.health.since = this.now();
    const fields = { store: this.health.store, replica: this.replica };
    if (mode === 'shared') {
      this.logger.log(
        'info',
        was === 'connecting' ? 'Shared state: connected, sharing cooldowns, quota readings and reservations' : 'Shared state: the store is back, sharing again',
        fields,
      );
      this.onJoined();
    } else {
      this.logger.log('warn', "Shared state: the store is unreachable or too slow; serving on this replica's own state until it is back", {
        ...fields,
        error: this.health.lastError,
      });
    }
  }
}

/** An error as it may be logged: its message (the store's errors carry no key or token). */
function describe(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (code && !message.includes(code) ? `${code}: ${message}` : message).slice(0, 300);
}
