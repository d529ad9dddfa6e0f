// User-assigned identities and role assignments on the twin through the real ManagedServiceIdentityClient
// and AuthorizationManagementClient: the IdentityCreate.json shape, assignments at RG and resource scope,
// PrincipalNotFound during the replication delay, RoleAssignmentExists, and hasRole's inheritance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { ROLES } from '../providers/roles.js';
import { rawRequest, sdkOptions, staticCredential } from '../sdk.js';

const FIXTURES = '/work/shared/azure-fixtures/specs-examples';
const identityExample = JSON.parse(readFileSync(`${FIXTURES}/Microsoft.ManagedIdentity/IdentityCreate.json`, 'utf8')) as {
  responses: { '201': { body: Record<string, Record<string, unknown>> } };
};
const raExample = JSON.parse(readFileSync(`${FIXTURES}/Microsoft.Authorization/RoleAssignments_CreateForResourceGroup.json`, 'utf8')) as {
  responses: { '201': { body: Record<string, Record<string, unknown>> } };
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('twin: managed identities and role assignments', () => {
  let twin: Twin;
  let msi: ManagedServiceIdentityClient;
  let authz: AuthorizationManagementClient;
  let rgScope: string;
  const roleDef = (sub: string, guid: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

  before(async () => {
    twin = await startTwin();
    msi = new ManagedServiceIdentityClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    authz = new AuthorizationManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-id', { location: 'eastus' });
    rgScope = `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-id`;
  });
  after(() => twin.close());

  it('creates a user-assigned identity: 201 with principalId/clientId/tenantId GUIDs, 200 on re-PUT, get, delete', async () => {
    const path = `${rgScope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-raw?api-version=2024-11-30`;
    const raw = await rawRequest(twin, 'PUT', path, { body: { location: 'eastus', tags: { a: 'b' } } });
    assert.equal(raw.status, 201);
    const body = raw.json() as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(body).sort(), Object.keys(identityExample.responses['201'].body).sort());
    assert.deepEqual(Object.keys(body.properties!).sort(), Object.keys(identityExample.responses['201'].body.properties!).sort());
    assert.equal((await rawRequest(twin, 'PUT', path, { body: { location: 'eastus' } })).status, 200);

    const created = await msi.userAssignedIdentities.createOrUpdate('rg-id', 'mi-app', { location: 'eastus' });
    assert.match(created.principalId!, GUID);
    assert.match(created.clientId!, GUID);
    assert.equal(created.tenantId, twin.tenantId);
    assert.equal(created.type, 'Microsoft.ManagedIdentity/userAssignedIdentities');
    const got = await msi.userAssignedIdentities.get('rg-id', 'mi-app');
    assert.equal(got.principalId, created.principalId);
    await msi.userAssignedIdentities.delete('rg-id', 'mi-app');
    await assert.rejects(
      msi.userAssignedIdentities.get('rg-id', 'mi-app'),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound',
    );
  });

  it('assigns a role at RG scope (fixture shape), get, list for scope, RoleAssignmentExists, delete', async () => {
    const mi = await msi.userAssignedIdentities.createOrUpdate('rg-id', 'mi-ra', { location: 'eastus' });
    const name = randomUUID();
    const ra = await authz.roleAssignments.create(rgScope, name, {
      roleDefinitionId: roleDef(twin.subscriptionId, ROLES.acrPull),
      principalId: mi.principalId!,
      principalType: 'ServicePrincipal',
    });
    assert.equal(ra.name, name);
    assert.equal(ra.scope, rgScope);
    assert.equal(ra.id, `${rgScope}/providers/Microsoft.Authorization/roleAssignments/${name}`);
    assert.equal(ra.type, 'Microsoft.Authorization/roleAssignments');
    assert.equal(ra.principalType, 'ServicePrincipal');
    const rawGet = await rawRequest(twin, 'GET', `${rgScope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`);
    const rawBody = rawGet.json() as Record<string, Record<string, unknown>>;
    for (const k of Object.keys(raExample.responses['201'].body)) assert.ok(k in rawBody, `body has ${k}`);
    for (const k of Object.keys(raExample.responses['201'].body.properties!)) assert.ok(k in rawBody.properties!, `properties has ${k}`);

    assert.equal((await authz.roleAssignments.get(rgScope, name)).principalId, mi.principalId);
    const listed = [];
    for await (const a of authz.roleAssignments.listForScope(rgScope, { filter: `principalId eq '${mi.principalId!}'` })) listed.push(a);
    assert.deepEqual(
      listed.map((a) => a.name),
      [name],
    );

    await assert.rejects(
      authz.roleAssignments.create(rgScope, randomUUID(), {
        roleDefinitionId: roleDef(twin.subscriptionId, ROLES.acrPull),
        principalId: mi.principalId!,
      }),
      (e: { statusCode?: number; code?: string; message?: string }) =>
        e.statusCode === 409 && e.code === 'RoleAssignmentExists' && e.message === 'The role assignment already exists.',
    );
    // the same assignment PUT again under its own name is fine (200)
    await authz.roleAssignments.create(rgScope, name, { roleDefinitionId: roleDef(twin.subscriptionId, ROLES.acrPull), principalId: mi.principalId! });

    await authz.roleAssignments.delete(rgScope, name);
    await assert.rejects(
      authz.roleAssignments.get(rgScope, name),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'RoleAssignmentNotFound',
    );
  });

  it('PrincipalNotFound while the new principal replicates, then OK (no fixed sleep: the delay is moved)', async () => {
    twin.auth.replicationDelayMs = 60_000;
    try {
      const mi = await msi.userAssignedIdentities.createOrUpdate('rg-id', 'mi-new', { location: 'eastus' });
      const params = {
        roleDefinitionId: roleDef(twin.subscriptionId, ROLES.cognitiveServicesOpenAIUser),
        principalId: mi.principalId!,
        principalType: 'ServicePrincipal',
      };
      await assert.rejects(authz.roleAssignments.create(rgScope, randomUUID(), params), (e: { statusCode?: number; code?: string; message?: string }) => {
        assert.equal(e.statusCode, 400);
        assert.equal(e.code, 'PrincipalNotFound');
        assert.match(e.message!, new RegExp(`^Principal ${mi.principalId!.replace(/-/g, '')} does not exist in the directory ${twin.tenantId}\\.`));
        assert.match(e.message!, /this error might be related to a replication delay/);
        assert.match(e.message!, /https:\/\/aka\.ms\/docs-principaltype/);
        return true;
      });
      twin.auth.replicationDelayMs = 0; // the directory caught up
      const ra = await authz.roleAssignments.create(rgScope, randomUUID(), params);
      assert.equal(ra.principalId, mi.principalId);
    } finally {
      twin.auth.replicationDelayMs = 0;
    }
  });

  it('assigns at a resource scope (a registry id) and hasRole follows inheritance from subscription/RG down to resources', async () => {
    const mi = await msi.userAssignedIdentities.createOrUpdate('rg-id', 'mi-inherit', { location: 'eastus' });
    const account = `${rgScope}/providers/Microsoft.CognitiveServices/accounts/acc1`;
    const registry = `${rgScope}/providers/Microsoft.ContainerRegistry/registries/acr12345`;
    await authz.roleAssignments.create(registry, randomUUID(), {
      roleDefinitionId: roleDef(twin.subscriptionId, ROLES.acrPull),
      principalId: mi.principalId!,
      principalType: 'ServicePrincipal',
    });
    assert.equal(twin.auth.hasRole(mi.principalId!, ROLES.acrPull, registry), true);
    assert.equal(twin.auth.hasRole(mi.principalId!, ROLES.acrPull, rgScope), false, 'a resource assignment does not grant the group');
    assert.equal(twin.auth.hasRole(mi.principalId!, ROLES.cognitiveServicesOpenAIUser, account), false);

    await authz.roleAssignments.create(rgScope, randomUUID(), {
      roleDefinitionId: roleDef(twin.subscriptionId, ROLES.cognitiveServicesOpenAIUser),
      principalId: mi.principalId!,
      principalType: 'ServicePrincipal',
    });
    assert.equal(twin.auth.hasRole(mi.principalId!, ROLES.cognitiveServicesOpenAIUser, account), true, 'inherited from the RG');
    assert.equal(twin.auth.hasRole(mi.principalId!, roleDef(twin.subscriptionId, ROLES.cognitiveServicesOpenAIUser), `${account}/deployments/d1`), true);
    assert.equal(
      twin.auth.hasRole(
        mi.principalId!,
        ROLES.cognitiveServicesOpenAIUser,
        `/subscriptions/${twin.subscriptionId}/resourceGroups/other/providers/Microsoft.CognitiveServices/accounts/acc1`,
      ),
      false,
    );

    const other = randomUUID();
    await authz.roleAssignments.create(`/subscriptions/${twin.subscriptionId}`, randomUUID(), {
      roleDefinitionId: roleDef(twin.subscriptionId, ROLES.reader),
      principalId: other,
      principalType: 'User',
    });
    assert.equal(twin.auth.hasRole(other, ROLES.reader, account), true, 'inherited from the subscription');
    const atScope = [];
    for await (const a of authz.roleAssignments.listForScope(account, { filter: 'atScope()' })) atScope.push(a.principalId);
    assert.ok(atScope.includes(other) && atScope.includes(mi.principalId), 'atScope() lists the inherited assignments');
  });

  it('rejects a non-GUID assignment name and an unknown resource group as ARM does', async () => {
    await assert.rejects(
      authz.roleAssignments.create(rgScope, 'not-a-guid', {
        roleDefinitionId: roleDef(twin.subscriptionId, ROLES.reader),
        principalId: randomUUID(),
      }),
      (e: { code?: string }) => e.code === 'InvalidRoleAssignmentId',
    );
    await assert.rejects(
      authz.roleAssignments.create(`/subscriptions/${twin.subscriptionId}/resourceGroups/nope`, randomUUID(), {
        roleDefinitionId: roleDef(twin.subscriptionId, ROLES.reader),
        principalId: randomUUID(),
      }),
      (e: { code?: string }) => e.code === 'ResourceGroupNotFound',
    );
  });
});
