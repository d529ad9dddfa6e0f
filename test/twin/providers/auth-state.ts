// What the twin's Azure holds for Microsoft.ManagedIdentity, Microsoft.Authorization and
// Microsoft.ContainerRegistry: user-assigned identities (and the directory's principals), role
// assignments with `hasRole`, registries (the Registry and RunRecord shapes live in registry-state.ts)
// and the images built locally. Kept apart from state.ts (the Cognitive Services state).
import { ArmError, key } from '../arm.js';
import type { BuiltImage } from './build/builder.js';
import type { Registry } from './registry-state.js';

/** Twin options for these providers (merged into TwinOptions). */
export interface AuthTwinOptions {
  /** How long (ms) after an identity is created assigning a role to its principal fails with 400
   *  PrincipalNotFound (Entra ID replication delay). Default 0. Settable later: twin.auth.replicationDelayMs. */
  principalReplicationDelayMs?: number;
  /** ARM documents that `principalType` on the assignment skips the directory lookup. Default false: the
   *  delay applies whatever the caller sends, so a CLI's retry is exercised (field reports still see it). */
  principalTypeSkipsLookup?: boolean;
  /** A free-trial subscription: ACR Tasks `scheduleRun` fails with 400 TasksOperationsNotAllowed. */
  acrTasksNotAllowed?: boolean;
}

export interface UserAssignedIdentity {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  principalId: string;
  clientId: string;
  tenantId: string;
  isolationScope: string;
}

export interface RoleAssignment {
  /** The scope as sent, with a leading slash and no trailing one. */
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string;
  condition?: string;
  conditionVersion?: string;
  delegatedManagedIdentityResourceId?: string;
  createdOn: string;
  updatedOn: string;
}

/** An image built by a run: the final stage's root directory plus its config (see BuiltImage). */
export interface TwinImage extends Omit<BuiltImage, 'id'> {
  /** `{loginServer}/{repository}:{tag}` as named in the build request (login server lower-cased). */
  name: string;
  digest: string;
}

export class ImageStore {
  private readonly images = new Map<string, TwinImage>();

  /** The image pushed under this name (`registry.azurecr.io/repo:tag`; `:latest` when no tag). */
  get(name: string): TwinImage | undefined {
    return this.images.get(normalizeImageName(name));
  }

  put(image: TwinImage): void {
    this.images.set(normalizeImageName(image.name), image);
  }

  delete(name: string): void {
    this.images.delete(normalizeImageName(name));
  }

  list(): TwinImage[] {
    return [...this.images.values()];
  }
}

export function normalizeImageName(name: string): string {
  const slash = name.indexOf('/');
  const host = slash > 0 ? name.slice(0, slash).toLowerCase() : '';
  let rest = slash > 0 ? name.slice(slash + 1) : name;
  if (!/:[^/]+$/.test(rest) && !rest.includes('@')) rest += ':latest';
  return host ? `${host}/${rest}` : rest;
}

export class AuthState {
  readonly identities = new Map<string, UserAssignedIdentity>();
  /** Role assignments by lower-cased assignment id. */
  readonly roleAssignments = new Map<string, RoleAssignment>();
  readonly registries = new Map<string, Registry>();
  readonly images = new ImageStore();
  /** principalId (lower-case) → when it was created (ms since epoch): the twin's directory. */
  private readonly principals = new Map<string, number>();
  replicationDelayMs: number;
  principalTypeSkipsLookup: boolean;
  tasksAllowed: boolean;

  constructor(options: AuthTwinOptions = {}) {
    this.replicationDelayMs = options.principalReplicationDelayMs ?? 0;
    this.principalTypeSkipsLookup = options.principalTypeSkipsLookup ?? false;
    this.tasksAllowed = !options.acrTasksNotAllowed;
  }

  /** Registers a principal in the twin's directory (user-assigned identities do; other providers may for system-assigned ones). */
  addPrincipal(principalId: string, createdAt = Date.now()): void {
    this.principals.set(principalId.toLowerCase(), createdAt);
  }

  /** Whether a principal the twin created is still replicating (unknown principals are taken as existing). */
  isReplicating(principalId: string, now = Date.now()): boolean {
    const created = this.principals.get(principalId.toLowerCase());
    return created !== undefined && now - created < this.replicationDelayMs;
  }

  identity(sub: string, rg: string, name: string): UserAssignedIdentity | undefined {
    return this.identities.get(key(sub, rg, name));
  }

  registry(sub: string, rg: string, name: string): Registry | undefined {
    return this.registries.get(key(sub, rg, name));
  }

  /** Whether any live registry in any subscription uses this name (registry names are global: {name}.azurecr.io). */
  registryNameTaken(name: string): Registry | undefined {
    return [...this.registries.values()].find((r) => r.name.toLowerCase() === name.toLowerCase());
  }

  /**
   * Whether `principalId` holds `roleDefinitionId` (a GUID or a full roleDefinitions id) at `scope`,
   * directly or inherited from a parent scope (subscription → resource group → resource → child).
   */
  hasRole(principalId: string, roleDefinitionId: string, scope: string): boolean {
    const role = roleGuid(roleDefinitionId);
    const target = normalizeScope(scope).toLowerCase();
    return [...this.roleAssignments.values()].some(
      (a) => a.principalId.toLowerCase() === principalId.toLowerCase() && roleGuid(a.roleDefinitionId) === role && scopeCovers(a.scope, target),
    );
  }

  /** Assignments of one principal (for a later data-plane check). */
  assignmentsOf(principalId: string): RoleAssignment[] {
    return [...this.roleAssignments.values()].filter((a) => a.principalId.toLowerCase() === principalId.toLowerCase());
  }

  /** Drops what lived in a deleted resource group (ARM deletes the resources and their role assignments). */
  forgetGroup(sub: string, rg: string): void {
    const prefix = `/subscriptions/${sub}/resourcegroups/${rg}`.toLowerCase();
    for (const [k, a] of this.roleAssignments) if (scopeCovers(prefix, a.scope.toLowerCase())) this.roleAssignments.delete(k);
    for (const map of [this.identities, this.registries] as Map<string, { subscriptionId: string; resourceGroup: string }>[]) {
      for (const [k, r] of map) if (key(r.subscriptionId, r.resourceGroup) === key(sub, rg)) map.delete(k);
    }
  }
}

export const roleGuid = (roleDefinitionId: string): string => roleDefinitionId.split('/').filter(Boolean).pop()!.toLowerCase();

export function normalizeScope(scope: string): string {
  return `/${scope.split('/').filter(Boolean).join('/')}`;
}

/** Whether an assignment at `assignmentScope` applies at `target` (same scope or a descendant). */
export function scopeCovers(assignmentScope: string, target: string): boolean {
  const s = normalizeScope(assignmentScope).toLowerCase();
  const t = normalizeScope(target).toLowerCase();
  return t === s || t.startsWith(`${s}/`) || s === '/';
}

/** An ArmError whose body carries `target` (ACR's errors do). */
export class TargetedArmError extends ArmError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly target: string,
  ) {
    super(status, code, message);
  }

  override body() {
    return { error: { code: this.code, message: this.message, target: this.target } };
  }
}
