// What the twin's Azure holds for Microsoft.OperationalInsights and Microsoft.App: Log Analytics
// workspaces (live and soft-deleted), managed environments, container apps with their revisions and
// replicas, and the auth tokens handed out by getAuthToken. Kept apart from state.ts: one store per
// twin, found through the twin's events object (`appState(twin)`), so the server needs no new field.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isObject, key, normalizeLocation } from '../arm.js';
import type { TwinEvents } from '../context.js';

export interface Workspace {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  /** Writable properties as sent (sku, retentionInDays, publicNetworkAccessFor*, features, workspaceCapping, …). */
  properties: Record<string, unknown>;
  customerId: string;
  primarySharedKey: string;
  secondarySharedKey: string;
  provisioningState: string;
  createdDate: string;
  modifiedDate: string;
  etag: string;
}

export interface ManagedEnvironment {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  identity?: Record<string, unknown>;
  /** Writable properties as sent, with logAnalyticsConfiguration.sharedKey kept (never returned). */
  properties: Record<string, unknown>;
  provisioningState: string;
  defaultDomain: string;
  staticIp: string;
  customDomainVerificationId: string;
  createdAt: string;
  modifiedAt: string;
}

export interface Revision {
  name: string;
  createdTime: string;
  lastActiveTime: string;
  template: Record<string, unknown>;
  active: boolean;
  trafficWeight: number;
  provisioningState: string;
  runningState: string;
  /** Replica names (`{revision}-{hash}-{hash}`), fixed when the revision is made. */
  replicas: string[];
}

export interface ContainerApp {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  identity?: Record<string, unknown>;
  environment: ManagedEnvironment;
  workloadProfileName?: string;
  /** Writable configuration as sent; secrets keep their values (GET hides them). */
  configuration: Record<string, unknown>;
  template: Record<string, unknown>;
  provisioningState: string;
  runningStatus: string;
  revisions: Revision[];
  latestRevisionName: string;
  latestReadyRevisionName: string;
  customDomainVerificationId: string;
  outboundIpAddresses: string[];
  createdAt: string;
  modifiedAt: string;
}

/** What `containerAppChanged` / `containerAppDeleted` carry: enough to run the app locally. */
export interface ContainerAppSnapshot {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  /** Stable app FQDN (`{app}.{env defaultDomain}`), undefined without ingress. */
  fqdn?: string;
  environment: { id: string; name: string; defaultDomain: string };
  latestRevisionName: string;
  /** Revisions and replicas, newest last. */
  revisions: { name: string; active: boolean; replicas: string[] }[];
  containers: {
    name: string;
    image: string;
    /** Env vars as sent (value or secretRef) … */
    env: { name: string; value?: string; secretRef?: string }[];
    /** … and resolved: secretRef replaced by the secret's value. */
    resolvedEnv: Record<string, string>;
    resources?: unknown;
    probes?: unknown;
    /** `command` / `args` as sent (they override the image's ENTRYPOINT / CMD, as in Docker). */
    command?: string[];
    args?: string[];
  }[];
  /** Secret name → value (Key Vault references have no value here). */
  secrets: Record<string, string>;
  ingress?: { external: boolean; targetPort?: number; transport: string; traffic?: unknown };
  scale: { minReplicas: number; maxReplicas: number; rules?: unknown };
  identity?: Record<string, unknown>;
}

/** A replica container's state as listReplicas shows it (ContainerAppContainerRunningState: Running | Terminated | Waiting). */
export interface ContainerStatus {
  ready: boolean;
  started: boolean;
  restartCount: number;
  runningState: 'Running' | 'Terminated' | 'Waiting';
  runningStateDetails: string;
}

/** A replica's state (ContainerAppReplicaRunningState: Running | NotRunning | Unknown) and its containers'. */
export interface ReplicaStatus {
  runningState: 'Running' | 'NotRunning' | 'Unknown';
  runningStateDetails: string;
  containers: Record<string, ContainerStatus>;
}

export class AppState {
  /** Workspaces by sub/rg/name; soft-deleted ones (delete without force) by the same key. */
  readonly workspaces = new Map<string, Workspace>();
  readonly deletedWorkspaces = new Map<string, Workspace>();
  readonly environments = new Map<string, ManagedEnvironment>();
  readonly apps = new Map<string, ContainerApp>();
  /** getAuthToken tokens → the app they were issued for (a later log-stream server checks them). */
  readonly authTokens = new Map<string, { app: ContainerApp; expires: string }>();
  /** managedEnvironments.getAuthToken tokens → the environment (the environment's event stream checks them). */
  readonly envAuthTokens = new Map<string, { environment: ManagedEnvironment; expires: string }>();
  /** What a replica's processes are doing, by lower-cased replica name; written by the app runner
   *  (startTwin({ runApps: true })). A replica without an entry is shown Running and ready. */
  readonly replicaStatus = new Map<string, ReplicaStatus>();
  /** The MSI provider's ids for a user-assigned identity resource id (wired by startTwin). */
  identityIds?: (id: string) => { principalId: string; clientId: string } | undefined;
  /** Location-mode result URLs: operation id → what the final GET of the Location URL returns. */
  readonly results = new Map<string, () => unknown>();

  workspace(sub: string, rg: string, name: string): Workspace | undefined {
    return this.workspaces.get(key(sub, rg, name));
  }

  workspaceByCustomerId(sub: string, customerId: string): Workspace | undefined {
    return [...this.workspaces.values()].find(
      (w) => w.subscriptionId.toLowerCase() === sub.toLowerCase() && w.customerId.toLowerCase() === customerId.toLowerCase(),
    );
  }

  environment(sub: string, rg: string, name: string): ManagedEnvironment | undefined {
    return this.environments.get(key(sub, rg, name));
  }

  app(sub: string, rg: string, name: string): ContainerApp | undefined {
    return this.apps.get(key(sub, rg, name));
  }

  inGroup<T extends { subscriptionId: string; resourceGroup: string }>(map: Map<string, T>, sub: string, rg?: string): T[] {
    return [...map.values()].filter((r) => r.subscriptionId.toLowerCase() === sub.toLowerCase() && (!rg || r.resourceGroup.toLowerCase() === rg.toLowerCase()));
  }
}

const stores = new WeakMap<TwinEvents, AppState>();

/** The Microsoft.App / OperationalInsights store of a twin (`appState(twin)` or `appState(ctx)`). */
export function appState(holder: { events: TwinEvents }): AppState {
  let store = stores.get(holder.events);
  if (!store) {
    store = new AppState();
    stores.set(holder.events, store);
  }
  return store;
}

export const appId = (a: { subscriptionId: string; resourceGroup: string; name: string }): string =>
  `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.App/containerApps/${a.name}`;
export const envId = (e: { subscriptionId: string; resourceGroup: string; name: string }): string =>
  `/subscriptions/${e.subscriptionId}/resourceGroups/${e.resourceGroup}/providers/Microsoft.App/managedEnvironments/${e.name}`;

/** The ingress FQDN Azure gives an app: `{app}.{env defaultDomain}`. */
export const appFqdn = (app: ContainerApp): string => `${app.name}.${app.environment.defaultDomain}`;
export const revisionFqdn = (app: ContainerApp, revision: string): string => `${revision}.${app.environment.defaultDomain}`;
export const streamBase = (location: string): string => `https://${normalizeLocation(location)}.azurecontainerapps.dev`;

const WORDS_A = ['witty', 'gray', 'polite', 'happy', 'calm', 'brave', 'gentle', 'proud', 'lively', 'nice', 'salmon', 'yellow', 'blue', 'orange', 'purple'];
const WORDS_B = ['hill', 'forest', 'river', 'sand', 'field', 'bush', 'pond', 'rock', 'meadow', 'sky', 'wave', 'stone', 'moss', 'dune', 'flower'];
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** `{word}-{8 hex}.{region}.azurecontainerapps.io`, as in the recordings (wittyhill-8a009f22.eastus2…). */
export function newDefaultDomain(location: string): string {
  return `${pick(WORDS_A)}${pick(WORDS_B)}-${randomBytes(4).toString('hex')}.${normalizeLocation(location)}.azurecontainerapps.io`;
}

export const newStaticIp = (): string => `20.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 250)}`;

const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const POD_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const randomOf = (chars: string, n: number): string => Array.from(randomBytes(n), (b) => chars[b % chars.length]).join('');

/** A revision suffix like Azure's (`5zj2t4y`, `gvxv3b5`). */
export const newRevisionSuffix = (): string => randomOf(SUFFIX_CHARS, 7);
/** A replica name like Replicas_List.json (`myapp--0wlqy09-5d9774cff-5wnd8`). */
export const newReplicaName = (revision: string, templateHash: string): string => `${revision}-${templateHash}-${randomOf(POD_CHARS, 5)}`;
export const templateHash = (): string => randomBytes(5).toString('hex').slice(0, 9);

/** A base64 key like Log Analytics shared keys (64 random bytes, 88 characters). */
export const newSharedKey = (): string => randomBytes(64).toString('base64');

/** principalId/clientId for a user-assigned identity id the MSI provider does not hold: stable per id. */
export function uamiIds(id: string): { principalId: string; clientId: string } {
  const h = (salt: string) => {
    const hex = createHash('sha256').update(`${salt}:${id.toLowerCase()}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  return { principalId: h('principal'), clientId: h('client') };
}

/** The identity block Azure returns: system principal + tenant, and ids for each user-assigned identity. */
export function identityView(
  identity: Record<string, unknown>,
  tenantId: string,
  previous?: Record<string, unknown>,
  lookup?: (id: string) => { principalId: string; clientId: string } | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { type: identity.type };
  if (
    String(identity.type ?? '')
      .replace(/\s/g, '')
      .toLowerCase()
      .includes('systemassigned')
  ) {
    out.principalId = previous?.principalId ?? randomUUID();
    out.tenantId = tenantId;
  }
  if (isObject(identity.userAssignedIdentities)) {
    out.userAssignedIdentities = Object.fromEntries(
      Object.keys(identity.userAssignedIdentities).map((id) => {
        const linked = lookup?.(id);
        return [id, linked ? { principalId: linked.principalId, clientId: linked.clientId } : uamiIds(id)];
      }),
    );
  }
  return out;
}
