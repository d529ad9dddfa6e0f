// Runs container apps as local processes (startTwin({ runApps: true }), docs/twin.md "Running container
// apps"). On containerAppChanged the replicas of each newly active revision start, one process per
// container, from the image the twin's ACR Tasks built; revisions no longer active stop (Single mode: the
// previous one once a new revision exists); containerAppDeleted (also through a resource-group or
// environment delete) and close() stop everything. Each replica's state is published to the ARM views
// (AppState.replicaStatus), its output kept for the log stream, and platform events for the event stream.
import { join } from 'node:path';
import type { TwinEvents } from '../context.js';
import type { AppState, ContainerAppSnapshot, ReplicaStatus } from '../providers/app-state.js';
import type { ImageStore, TwinImage } from '../providers/auth-state.js';
import type { IdentityEnv } from '../dataplane/identity-endpoint.js';
import { freePort } from '../../helpers/free-port.js';
import { LogBuffer, netJsonLine } from './logs.js';
import { ContainerProcess, resolveCommand, type ContainerLaunch } from './replica.js';

/** How long a new revision may take to get ready before the previous one is stopped anyway. */
const REPLACE_TIMEOUT_MS = 60_000;

export interface ReplicaRun {
  name: string;
  revision: string;
  /** One process per template container, in template order; the first one takes the ingress traffic. */
  containers: ContainerProcess[];
}

export interface RunningApp {
  snapshot: ContainerAppSnapshot;
  /** Active revisions the twin runs: revision name → replicas. */
  revisions: Map<string, ReplicaRun[]>;
  /** System events (`az containerapp logs show --type system`), JSON lines. */
  events: LogBuffer;
  next: number;
}

export interface AppRunnerOptions {
  /** The twin's CA file, given to each process as NODE_EXTRA_CA_CERTS. */
  caPath: string;
  /** IDENTITY_ENDPOINT / IDENTITY_HEADER for these user-assigned client ids. */
  identityEnv(clientIds: string[]): IdentityEnv;
  /** Where the containers reach Entra ID (ENTRA_AUTHORITY_HOST): the tests' local issuer; unset, none is given. */
  entraAuthorityHost?: string;
}

export class AppRunner {
  /** Apps by lower-cased resource id. */
  readonly apps = new Map<string, RunningApp>();
  /** Every container process started so far (stopped ones included), for tests. */
  readonly started: ContainerProcess[] = [];
  /** System events per environment (lower-cased environment id). */
  readonly environmentEvents = new Map<string, LogBuffer>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: AppState,
    private readonly images: ImageStore,
    private readonly options: AppRunnerOptions,
  ) {}

  attach(events: TwinEvents): void {
    events.on('containerAppChanged', (s: ContainerAppSnapshot) => this.track(this.changed(s)));
    events.on('containerAppDeleted', (s: ContainerAppSnapshot) => this.track(this.deleted(s)));
  }

  /** Live processes of the apps with this name (any resource group). */
  running(appName: string): ContainerProcess[] {
    return this.started.filter((p) => p.app.toLowerCase() === appName.toLowerCase() && p.running);
  }

  /** Every output line (stdout and stderr, oldest first per process) of the apps with this name, stopped processes included. */
  output(appName: string): string[] {
    return this.started.filter((p) => p.app.toLowerCase() === appName.toLowerCase()).flatMap((p) => p.logs.tail().map((l) => l.text));
  }

  /** Resolves once every container of the app's active revisions is ready; rejects as soon as one failed. */
  async whenReady(appName: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await Promise.all(this.pending);
      const app = [...this.apps.values()].find((a) => a.snapshot.name.toLowerCase() === appName.toLowerCase());
      const containers = app ? [...app.revisions.values()].flat().flatMap((r) => r.containers) : [];
      const failed = containers.find(
        (c) =>
          !c.status.ready &&
          (c.status.runningState === 'Terminated' || (c.status.runningState === 'Waiting' && c.status.runningStateDetails !== 'ContainerCreating')),
      );
      if (failed) {
        throw new Error(
          `container ${failed.name} of ${failed.replica} failed: ${failed.status.runningState} ${failed.status.runningStateDetails}\n${failed.logs
            .tail(30)
            .map((l) => l.text)
            .join('\n')}`,
        );
      }
      if (containers.length > 0 && containers.every((c) => c.status.ready)) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for app ${appName} to be ready`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The app and revision (for a revision FQDN) a Host name belongs to. */
  route(host: string): { app: RunningApp; revision?: string } | undefined {
    const h = host.toLowerCase();
    for (const app of this.apps.values()) {
      if (app.snapshot.fqdn?.toLowerCase() === h) return { app };
      const revision = app.snapshot.revisions.find((r) => `${r.name}.${app.snapshot.environment.defaultDomain}`.toLowerCase() === h);
      if (revision && app.snapshot.fqdn) return { app, revision: revision.name };
    }
    return undefined;
  }

  /** The next ready replica's ingress port, round robin over the app's active revisions (or one revision). */
  pick(app: RunningApp, revision?: string): ReplicaRun | undefined {
    const replicas = [...app.revisions.entries()]
      .filter(([name]) => !revision || name.toLowerCase() === revision.toLowerCase())
      .flatMap(([, r]) => r)
      .filter((r) => r.containers[0]?.status.ready && r.containers[0].running);
    if (replicas.length === 0) return undefined;
    app.next = (app.next + 1) % replicas.length;
    return replicas[app.next];
  }

  /** The process of one replica's container (for the log stream). */
  container(appId: string, revision: string, replica: string, container: string): ContainerProcess | undefined {
    const app = this.apps.get(appId.toLowerCase());
    const run = [...(app?.revisions.values() ?? [])]
      .flat()
      .find((r) => r.revision.toLowerCase() === revision.toLowerCase() && r.name.toLowerCase() === replica.toLowerCase());
    return run?.containers.find((c) => c.name.toLowerCase() === container.toLowerCase());
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((error: unknown) => console.error('twin app runner:', error)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async changed(snapshot: ContainerAppSnapshot): Promise<void> {
    if (this.closed) return;
    const id = snapshot.id.toLowerCase();
    let app = this.apps.get(id);
    if (!app) {
      app = { snapshot, revisions: new Map(), events: new LogBuffer(), next: -1 };
      this.apps.set(id, app);
    }
    app.snapshot = snapshot;
    const active = snapshot.revisions.filter((r) => r.active && r.replicas.length > 0);
    const retired = [...app.revisions.keys()].filter((name) => !active.some((r) => r.name === name));
    const fresh: ReplicaRun[] = [];
    for (const r of active) {
      if (app.revisions.has(r.name)) continue;
      const runs = r.replicas.map((replica) => ({ name: replica, revision: r.name, containers: [] as ContainerProcess[] }));
      app.revisions.set(r.name, runs);
      fresh.push(...runs);
      await Promise.all(runs.map((run) => this.startReplica(app, run)));
    }
    // The old revision keeps serving until the new one is ready (or failed), as Azure's revision switch does.
    if (retired.length > 0) await this.settled(fresh, REPLACE_TIMEOUT_MS);
    await Promise.all(retired.map((name) => this.stopRevision(app, name)));
  }

  /** Waits until every container of these replicas is ready or failed (or the timeout, or close()). */
  private async settled(runs: ReplicaRun[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const done = (c: ContainerProcess) =>
      c.status.ready || c.status.runningState === 'Terminated' || (c.status.runningState === 'Waiting' && c.status.runningStateDetails !== 'ContainerCreating');
    while (!this.closed && Date.now() < deadline && !runs.every((r) => r.containers.every(done))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async deleted(snapshot: ContainerAppSnapshot): Promise<void> {
    const id = snapshot.id.toLowerCase();
    const app = this.apps.get(id);
    if (!app) return;
    this.apps.delete(id);
    await Promise.all([...app.revisions.keys()].map((name) => this.stopRevision(app, name)));
    app.events.end();
  }

  private async stopRevision(app: RunningApp, revision: string): Promise<void> {
    const runs = app.revisions.get(revision) ?? [];
    app.revisions.delete(revision);
    await Promise.all(
      runs.map(async (run) => {
        await Promise.all(run.containers.map((c) => c.stop()));
        this.store.replicaStatus.delete(run.name.toLowerCase());
        for (const c of run.containers) this.event(app, run, 'Normal', 'ContainerTerminated', `Container '${c.name}' was terminated`);
      }),
    );
  }

  private async startReplica(app: RunningApp, run: ReplicaRun): Promise<void> {
    const s = app.snapshot;
    const publish = () => this.publish(run);
    for (const c of s.containers) {
      const proc = new ContainerProcess(s.name, run.revision, run.name, c.name, publish);
      run.containers.push(proc);
      this.started.push(proc);
    }
    publish();
    await Promise.all(
      s.containers.map(async (c, index) => {
        const proc = run.containers[index]!;
        this.event(app, run, 'Normal', 'PullingImage', `Pulling image '${c.image}'`);
        const image = this.images.get(c.image);
        if (!image) {
          // Inferred wording (kubelet's): the twin only has the images its ACR Tasks built.
          const why = /\.azurecr\.io\//i.test(c.image) ? 'not found: manifest unknown' : 'the twin has no internet and runs only images its ACR Tasks built';
          this.event(app, run, 'Warning', 'PullingImage', `Failed to pull image '${c.image}': ${why}`);
          proc.fail(`ImagePullBackOff: Back-off pulling image "${c.image}"`);
          return;
        }
        this.event(app, run, 'Normal', 'PulledImage', `Successfully pulled image '${c.image}'`);
        const launch = await this.launchFor(s, run, c, index, image);
        if (this.closed) return;
        if (launch.command.length === 0) {
          this.event(app, run, 'Warning', 'ContainerCreateFailure', `Container '${c.name}' has no command (no ENTRYPOINT, CMD or command)`);
          proc.fail('CreateContainerError: no command specified');
          return;
        }
        this.event(app, run, 'Normal', 'ContainerCreated', `Created container '${c.name}'`);
        proc.start(launch);
        this.event(app, run, 'Normal', 'ContainerStarted', `Started container '${c.name}'`);
      }),
    );
  }

  private async launchFor(
    s: ContainerAppSnapshot,
    run: ReplicaRun,
    c: ContainerAppSnapshot['containers'][number],
    index: number,
    image: TwinImage,
  ): Promise<ContainerLaunch> {
    const port = await freePort();
    const entrypoint = c.command ?? image.entrypoint ?? [];
    const args = c.args ?? (c.command ? [] : (image.cmd ?? []));
    const clientIds = Object.values((s.identity?.userAssignedIdentities ?? {}) as Record<string, { clientId?: string }>)
      .map((i) => i.clientId)
      .filter((x): x is string => typeof x === 'string');
    const env: Record<string, string> = {
      // No base image: the host's PATH stands for the image's.
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ...image.env,
      // Built-in variables of Container Apps (Microsoft Learn "Environment variables").
      HOSTNAME: run.name,
      CONTAINER_APP_NAME: s.name,
      CONTAINER_APP_REVISION: run.revision,
      CONTAINER_APP_REPLICA_NAME: run.name,
      CONTAINER_APP_ENV_DNS_SUFFIX: s.environment.defaultDomain,
      ...(s.fqdn ? { CONTAINER_APP_HOSTNAME: `${run.revision}.${s.environment.defaultDomain}` } : {}),
      ...(s.ingress?.targetPort ? { CONTAINER_APP_PORT: String(s.ingress.targetPort) } : {}),
      ...c.resolvedEnv,
      ...(clientIds.length > 0 ? this.options.identityEnv(clientIds) : {}),
      // Deviations (docs/twin.md): the twin's CA stands for the container's trust store, and the replicas
      // share one host, so each container listens on its own loopback port.
      NODE_EXTRA_CA_CERTS: this.options.caPath,
      // No internet here: Entra ID, which a real container reaches at login.microsoftonline.com, is the tests' issuer.
      ...(this.options.entraAuthorityHost ? { ENTRA_AUTHORITY_HOST: this.options.entraAuthorityHost } : {}),
      PORT: String(port),
    };
    return {
      command: resolveCommand([...entrypoint, ...args], image.rootDir),
      cwd: join(image.rootDir, image.workdir || '/'),
      env,
      port,
      readiness: readinessOf(c.probes, index === 0 && s.ingress !== undefined),
    };
  }

  private publish(run: ReplicaRun): void {
    const containers = Object.fromEntries(run.containers.map((c) => [c.name, { ...c.status }]));
    const all = Object.entries(containers);
    // The replica counts as Running once every container runs and passed its readiness probe.
    const running = all.length > 0 && all.every(([, c]) => c.runningState === 'Running' && c.ready);
    const notReady = all.find(([, c]) => c.runningState === 'Running' && !c.ready);
    const status: ReplicaStatus = {
      runningState: running ? 'Running' : 'NotRunning',
      runningStateDetails: all.find(([, c]) => c.runningStateDetails)?.[1].runningStateDetails ?? (notReady ? `Container '${notReady[0]}' is not ready` : ''),
      containers,
    };
    this.store.replicaStatus.set(run.name.toLowerCase(), status);
  }

  private event(app: RunningApp, run: ReplicaRun, type: 'Normal' | 'Warning', reason: string, msg: string): void {
    // Fields as `az containerapp logs show --type system` prints them (inferred from its output; not in the reference).
    const text = netJsonLine({
      TimeStamp: new Date().toISOString(),
      Type: type,
      ContainerAppName: app.snapshot.name,
      RevisionName: run.revision,
      ReplicaName: run.name,
      Msg: msg,
      Reason: reason,
      EventSource: 'ContainerAppController',
      Count: 1,
    });
    const line = { time: new Date().toISOString(), stream: 'system' as const, text };
    app.events.push(line);
    const envId = app.snapshot.environment.id.toLowerCase();
    if (!this.environmentEvents.has(envId)) this.environmentEvents.set(envId, new LogBuffer());
    this.environmentEvents.get(envId)!.push(line);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.pending);
    await Promise.all(this.started.map((p) => p.stop()));
    for (const app of this.apps.values()) app.events.end();
    for (const b of this.environmentEvents.values()) b.end();
  }
}

/** The readiness probe of a container: its Readiness probe, else (ingress) a TCP check like the platform's default probes. */
function readinessOf(probes: unknown, ingress: boolean): ContainerLaunch['readiness'] {
  const list = Array.isArray(probes) ? (probes as Record<string, unknown>[]) : [];
  const readiness = list.find((p) => String(p.type ?? '').toLowerCase() === 'readiness');
  const http = readiness?.httpGet as { path?: string } | undefined;
  if (http) return { kind: 'http', path: http.path || '/' };
  if (readiness?.tcpSocket || ingress) return { kind: 'tcp' };
  return { kind: 'none' };
}
