// The accounts' data planes: on accountCreated one simulator process per account behind the shared
// HTTPS front door; deployments follow deploymentChanged/deploymentDeleted; the simulator stops on
// accountDeleted/accountPurged/close. Also the managed-identity token endpoint whose tokens the front
// door accepts (docs/twin.md "Data plane").
import { randomBytes } from 'node:crypto';
import type { TwinEvents } from '../context.js';
import type { AuthState, UserAssignedIdentity } from '../providers/auth-state.js';
import type { Account, Deployment } from '../state.js';
import { FrontDoor, type AccountPlane } from './front-door.js';
import { IdentityEndpoint, TokenStore, type IdentityEnv } from './identity-endpoint.js';
import { SimulatorProcess } from './simulator-process.js';

export type { AccountPlane } from './front-door.js';
export type { IdentityEnv, IssuedToken } from './identity-endpoint.js';

export interface DataPlaneOptions {
  /** Lifetime of managed-identity tokens (default 24 h). */
  tokenLifetimeMs?: number;
  /** The CLI that runs `simulate` (default bin/aoai-lb.js of this repository). */
  simulatorCli?: string;
  /** Extra arguments for every simulator (e.g. ['--time-scale', '60']). */
  simulatorArgs?: string[];
}

export class DataPlane {
  readonly tokens: TokenStore;
  readonly identity: IdentityEndpoint;
  readonly frontDoor: FrontDoor;
  /** Live planes by slug (subdomain or internalId, lower-case). */
  readonly planes = new Map<string, AccountPlane>();
  /** Simulators started so far (stopped ones included), for tests. */
  readonly started: SimulatorProcess[] = [];
  private closed = false;

  constructor(
    tls: { key: string; cert: string },
    auth: AuthState,
    private readonly options: DataPlaneOptions = {},
  ) {
    this.tokens = new TokenStore(options.tokenLifetimeMs ?? 24 * 3600e3);
    this.identity = new IdentityEndpoint(auth, this.tokens);
    this.frontDoor = new FrontDoor(tls, auth, this.tokens, (slug) => this.planes.get(slug));
  }

  async start(events: TwinEvents): Promise<void> {
    await this.frontDoor.start();
    await this.identity.start();
    events.on('accountCreated', (a: Account) => this.accountCreated(a));
    events.on('accountDeleted', (a: Account) => this.accountGone(a));
    events.on('accountPurged', (a: Account) => this.accountGone(a));
    events.on('deploymentChanged', (a: Account, d: Deployment, capacity: number) => {
      const plane = this.planes.get(slugOf(a));
      if (!plane) return;
      const isNew = !plane.deployments.has(d.name);
      plane.deployments.set(d.name, d.model.name);
      this.enqueue(plane, () => plane.sim.setDeployment(d.name, capacity * 1000, isNew ? d.model.name : undefined));
    });
    events.on('deploymentDeleted', (a: Account, name: string) => {
      // The simulator has no delete: the front door answers 404 DeploymentNotFound for it from now on.
      this.planes.get(slugOf(a))?.deployments.delete(name);
    });
  }

  /** The endpoint ARM reports for an account (properties.endpoint). */
  endpointFor(account: Account): string {
    return this.frontDoor.endpointFor(slugOf(account));
  }

  plane(account: Account): AccountPlane | undefined {
    return this.planes.get(slugOf(account));
  }

  /** An API key the front door accepts for this account (unless disableLocalAuth). listKeys is not implemented in ARM. */
  keyFor(account: Account): string {
    const plane = this.plane(account);
    if (!plane) throw new Error(`account ${account.name} has no data plane`);
    const key = randomBytes(24).toString('hex');
    plane.keys.add(key);
    return key;
  }

  identityEndpointFor(identities: string | UserAssignedIdentity | (string | UserAssignedIdentity)[]): IdentityEnv {
    return this.identity.envFor(identities);
  }

  /** Waits until the account's pending control operations (start, TPM changes) are done. */
  async settled(account: Account): Promise<void> {
    await this.plane(account)?.queue;
  }

  private accountCreated(account: Account): void {
    const slug = slugOf(account);
    if (this.closed || this.planes.has(slug)) return;
    const sim = new SimulatorProcess(this.options.simulatorCli, this.options.simulatorArgs);
    this.started.push(sim);
    const deployments = [...account.deployments.values()].filter((d) => d.provisioningState === 'Succeeded');
    const plane: AccountPlane = {
      account,
      sim,
      deployments: new Map(deployments.map((d) => [d.name, d.model.name])),
      keys: new Set(),
      queue: Promise.resolve(),
    };
    this.planes.set(slug, plane);
    this.enqueue(plane, () => sim.start(deployments.map((d) => ({ name: d.name, model: d.model.name, tpm: d.sku.capacity * 1000 }))));
  }

  private accountGone(account: Account): void {
    const slug = slugOf(account);
    const plane = this.planes.get(slug);
    if (!plane || plane.account !== account) return;
    this.planes.delete(slug);
    plane.queue = plane.queue.then(
      () => plane.sim.stop(),
      () => plane.sim.stop(),
    );
  }

  private enqueue(plane: AccountPlane, step: () => Promise<void>): void {
    plane.queue = plane.queue
      .then(() => (plane.error || this.closed ? undefined : step()))
      .catch((error: unknown) => {
        plane.error = error instanceof Error ? error : new Error(String(error));
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.frontDoor.close(), this.identity.close()]);
    await Promise.all(this.started.map((s) => s.stop()));
  }
}

export function slugOf(account: Account): string {
  const sub = account.properties.customSubDomainName;
  return (typeof sub === 'string' && sub ? sub : account.internalId).toLowerCase();
}
