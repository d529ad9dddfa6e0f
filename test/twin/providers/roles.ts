// Microsoft.Authorization role assignments (@azure/arm-authorization 9.0.0, api 2022-04-01) at any scope:
// subscription, resource group, resource (an OpenAI account, a registry, …) or child resource.
// PUT → 201 (200 when the same assignment is PUT again), GET, list for scope ($filter atScope(),
// principalId eq '…', assignedTo('…')), DELETE → 200 with the body (204 when missing).
// Conflicts as ARM answers them: the same principal+role+scope under another name → 409 RoleAssignmentExists;
// a principal still replicating → 400 PrincipalNotFound (reference §4).
import { ArmError, isObject, ok, requireBody, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { normalizeScope, roleGuid, scopeCovers, type AuthState, type RoleAssignment } from './auth-state.js';

export const AUTHZ = 'Microsoft.Authorization';
export const ROLE_ASSIGNMENT_API_VERSIONS = ['2022-04-01', '2020-10-01-preview', '2020-04-01-preview', '2018-09-01-preview', '2015-07-01'];
/** Built-in role ids the project uses (reference §4). */
export const ROLES = {
  cognitiveServicesOpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  acrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RA = `providers/${AUTHZ}/roleAssignments`;
/** The scopes a path can carry. The SDK percent-encodes `{scope}` into one segment; raw callers send slashes. */
const SCOPE_PATTERNS = [
  '/{scope}',
  '/subscriptions/{subscriptionId}',
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}',
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{ns}/{type}/{name}',
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{ns}/{type}/{name}/{childType}/{childName}',
];

function scopeOf(req: ArmRequest): string {
  const path = req.url.pathname
    .split('/')
    .map((s) => decodeURIComponent(s))
    .join('/');
  const i = path.toLowerCase().lastIndexOf(`/${RA.toLowerCase()}`);
  return normalizeScope(path.slice(0, i));
}

export function roleAssignmentView(sub: string, a: RoleAssignment): Record<string, unknown> {
  return {
    properties: {
      roleDefinitionId: `/subscriptions/${sub}/providers/${AUTHZ}/roleDefinitions/${roleGuid(a.roleDefinitionId)}`,
      principalId: a.principalId,
      principalType: a.principalType ?? 'User',
      scope: a.scope,
      condition: a.condition ?? null,
      conditionVersion: a.conditionVersion ?? null,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: TWIN_CALLER,
      updatedBy: TWIN_CALLER,
      delegatedManagedIdentityResourceId: a.delegatedManagedIdentityResourceId ?? null,
      description: a.description ?? null,
    },
    id: `${a.scope}/${RA}/${a.name}`,
    type: `${AUTHZ}/roleAssignments`,
    name: a.name,
  };
}

/** The object id of the signed-in caller as ARM reports it in createdBy/updatedBy. */
const TWIN_CALLER = '6c37e0ec-0000-4000-8000-00000000ca11';

export function roleRoutes(ctx: TwinContext, auth: AuthState): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    operationId,
    apiVersions: ROLE_ASSIGNMENT_API_VERSIONS,
    handler,
  });
  const idKey = (scope: string, name: string) => `${scope}/${RA}/${name}`.toLowerCase();

  /** ARM checks the scope's subscription and resource group exist. */
  const checkScope = (scope: string) => {
    const m = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?/i.exec(scope);
    if (!m) throw new ArmError(400, 'InvalidScope', `The scope '${scope}' is not valid for role assignments.`);
    if (m[2]) ctx.state.requireGroup(m[1]!, m[2]);
    else ctx.state.requireSubscription(m[1]!);
    return m[1]!;
  };

  const create = (req: ArmRequest) => {
    const scope = scopeOf(req);
    const subscriptionId = checkScope(scope);
    const name = req.params.roleAssignmentName!;
    if (!GUID.test(name)) {
      throw new ArmError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
    }
    const body = requireBody(req);
    const props = isObject(body.properties) ? body.properties : {};
    const roleDefinitionId = typeof props.roleDefinitionId === 'string' ? props.roleDefinitionId : '';
    const principalId = typeof props.principalId === 'string' ? props.principalId : '';
    if (!/\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i.test(roleDefinitionId)) {
      throw new ArmError(400, 'InvalidRoleDefinitionId', `The role definition ID '${roleDefinitionId.split('/').pop() ?? ''}' is not valid.`);
    }
    if (!GUID.test(principalId)) throw new ArmError(400, 'InvalidPrincipalId', 'A valid principal ID must be provided for role assignment.');
    const principalType = typeof props.principalType === 'string' ? props.principalType : undefined;
    const existing = auth.roleAssignments.get(idKey(scope, name));
    if (existing) {
      if (existing.principalId.toLowerCase() !== principalId.toLowerCase() || roleGuid(existing.roleDefinitionId) !== roleGuid(roleDefinitionId)) {
        throw new ArmError(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
      }
      return ok(roleAssignmentView(subscriptionId, existing), 200);
    }
    const duplicate = [...auth.roleAssignments.values()].find(
      (a) =>
        a.scope.toLowerCase() === scope.toLowerCase() &&
        a.principalId.toLowerCase() === principalId.toLowerCase() &&
        roleGuid(a.roleDefinitionId) === roleGuid(roleDefinitionId),
    );
    if (duplicate) throw new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
    if (auth.isReplicating(principalId) && !(principalType && auth.principalTypeSkipsLookup)) {
      throw new ArmError(
        400,
        'PrincipalNotFound',
        `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${ctx.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
      );
    }
    const now = new Date().toISOString();
    const assignment: RoleAssignment = {
      scope,
      name,
      roleDefinitionId,
      principalId,
      principalType: principalType ?? ([...auth.identities.values()].some((i) => i.principalId === principalId) ? 'ServicePrincipal' : 'User'),
      description: typeof props.description === 'string' ? props.description : undefined,
      condition: typeof props.condition === 'string' ? props.condition : undefined,
      conditionVersion: typeof props.conditionVersion === 'string' ? props.conditionVersion : undefined,
      delegatedManagedIdentityResourceId: typeof props.delegatedManagedIdentityResourceId === 'string' ? props.delegatedManagedIdentityResourceId : undefined,
      createdOn: now,
      updatedOn: now,
    };
    auth.roleAssignments.set(idKey(scope, name), assignment);
    return ok(roleAssignmentView(subscriptionId, assignment), 201);
  };

  const get = (req: ArmRequest) => {
    const scope = scopeOf(req);
    const subscriptionId = checkScope(scope);
    const a = auth.roleAssignments.get(idKey(scope, req.params.roleAssignmentName!));
    if (!a) throw new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${req.params.roleAssignmentName!}' is not found.`);
    return ok(roleAssignmentView(subscriptionId, a));
  };

  const remove = (req: ArmRequest) => {
    const scope = scopeOf(req);
    const subscriptionId = checkScope(scope);
    const k = idKey(scope, req.params.roleAssignmentName!);
    const a = auth.roleAssignments.get(k);
    if (!a) return { status: 204 };
    auth.roleAssignments.delete(k);
    return ok(roleAssignmentView(subscriptionId, a));
  };

  const list = (req: ArmRequest) => {
    const scope = scopeOf(req);
    const subscriptionId = checkScope(scope);
    const filter = req.query.get('$filter') ?? '';
    const atScope = /atScope\(\)/i.test(filter);
    const principal = /(?:principalId\s+eq\s+|assignedTo\()'([^']+)'/i.exec(filter)?.[1]?.toLowerCase();
    const value = [...auth.roleAssignments.values()].filter(
      (a) =>
        // at or above the scope (inherited); without atScope() also below it
        (scopeCovers(a.scope, scope) || (!atScope && scopeCovers(scope, a.scope))) && (!principal || a.principalId.toLowerCase() === principal),
    );
    return ok({ value: value.map((a) => roleAssignmentView(subscriptionId, a)) });
  };

  return SCOPE_PATTERNS.flatMap((scope) => [
    route('PUT', `${scope}/${RA}/{roleAssignmentName}`, 'RoleAssignments_Create', create),
    route('GET', `${scope}/${RA}/{roleAssignmentName}`, 'RoleAssignments_Get', get),
    route('DELETE', `${scope}/${RA}/{roleAssignmentName}`, 'RoleAssignments_Delete', remove),
    route('GET', `${scope}/${RA}`, 'RoleAssignments_ListForScope', list),
  ]);
}
