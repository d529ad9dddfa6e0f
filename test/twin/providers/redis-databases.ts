// Microsoft.Cache/redisEnterprise/{cluster}/databases (api 2025-07-01): create/update (201 Creating / 200
// Updating + Azure-AsyncOperation, RedisEnterpriseDatabasesCreate.json), get, list, delete (202 + headers),
// listKeys (refused while accessKeysAuthentication is Disabled, the default since 2025-07-01), and the access
// policy assignments under a database (the Entra ID data-access grant: accessPolicyName "default",
// user.objectId; RedisEnterpriseAccessPolicyAssignmentCreateUpdate.json / …Delete.json).
import { randomBytes } from 'node:crypto';
import { ArmError, isObject, ok, requireBody, resourceNotFound, type ArmRequest, type ArmResponse } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { CACHE, CLUSTER_PATH, NAME, REDIS_API_VERSIONS, badRequest, busy, clusterId, requireCluster, settling, startOperation } from './redis-clusters.js';
import type { AccessPolicyAssignment, RedisCluster, RedisDatabase, RedisState } from './redis-state.js';

const DATABASE_PATH = `${CLUSTER_PATH}/databases/{databaseName}`;
const ASSIGNMENT_PATH = `${DATABASE_PATH}/accessPolicyAssignments/{accessPolicyAssignmentName}`;
const ASSIGNMENT_NAME = /^[A-Za-z0-9]{1,60}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENUMS: Record<string, string[]> = {
  clientProtocol: ['Encrypted', 'Plaintext'],
  clusteringPolicy: ['EnterpriseCluster', 'OSSCluster', 'NoCluster'],
  evictionPolicy: ['AllKeysLFU', 'AllKeysLRU', 'AllKeysRandom', 'VolatileLRU', 'VolatileLFU', 'VolatileTTL', 'VolatileRandom', 'NoEviction'],
  accessKeysAuthentication: ['Enabled', 'Disabled'],
  deferUpgrade: ['Deferred', 'NotDeferred'],
};

const databaseId = (c: RedisCluster, d: RedisDatabase): string => `${clusterId(c)}/databases/${d.name}`;

export function databaseView(c: RedisCluster, d: RedisDatabase): Record<string, unknown> {
  return {
    id: databaseId(c, d),
    name: `${c.name}/${d.name}`,
    type: `${CACHE}/redisEnterprise/databases`,
    properties: {
      provisioningState: d.provisioningState,
      resourceState: d.resourceState,
      clientProtocol: d.clientProtocol,
      clusteringPolicy: d.clusteringPolicy,
      evictionPolicy: d.evictionPolicy,
      persistence: d.persistence,
      port: d.port,
      modules: d.modules.map((m) => ({ name: m.name, args: m.args ?? '', version: '1.0.0' })),
      deferUpgrade: d.deferUpgrade,
      accessKeysAuthentication: d.accessKeysAuthentication,
      redisVersion: '7.4',
    },
  };
}

function assignmentView(c: RedisCluster, d: RedisDatabase, a: AccessPolicyAssignment): Record<string, unknown> {
  return {
    id: `${databaseId(c, d)}/accessPolicyAssignments/${a.name}`,
    name: a.name,
    type: `${CACHE}/redisEnterprise/accessPolicyAssignments`,
    properties: { provisioningState: a.provisioningState, accessPolicyName: a.accessPolicyName, user: { objectId: a.objectId } },
  };
}

function requireDatabase(ctx: TwinContext, state: RedisState, req: ArmRequest): { cluster: RedisCluster; database: RedisDatabase } {
  const cluster = requireCluster(ctx, state, req);
  const database = cluster.databases.get(req.params.databaseName!.toLowerCase());
  if (!database) throw resourceNotFound(`${CACHE}/redisEnterprise/${cluster.name}/databases/${req.params.databaseName}`, req.params.resourceGroupName!);
  return { cluster, database };
}

function enumValue(props: Record<string, unknown>, name: string, fallback: string): string {
  const value = props[name] ?? fallback;
  if (typeof value !== 'string' || !ENUMS[name]!.includes(value)) {
    throw badRequest(`The value '${String(value)}' of property '${name}' is not valid. Allowed values: ${ENUMS[name]!.join(', ')}.`);
  }
  return value;
}

export function databaseRoutes(ctx: TwinContext, state: RedisState): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    operationId,
    apiVersions: REDIS_API_VERSIONS,
    handler,
  });

  const create = async (req: ArmRequest): Promise<ArmResponse> => {
    const cluster = requireCluster(ctx, state, req);
    const name = req.params.databaseName!;
    if (!NAME.test(name)) throw new ArmError(400, 'InvalidResourceName', `The database name '${name}' is invalid.`);
    if (cluster.provisioningState !== 'Succeeded') throw busy(cluster.name);
    const props = isObject(requireBody(req).properties) ? (requireBody(req).properties as Record<string, unknown>) : {};
    const existing = cluster.databases.get(name.toLowerCase());
    if (existing && settling(existing.provisioningState)) throw busy(`${cluster.name}/${existing.name}`);
    const wanted = {
      clientProtocol: enumValue(props, 'clientProtocol', existing?.clientProtocol ?? 'Encrypted'),
      clusteringPolicy: enumValue(props, 'clusteringPolicy', existing?.clusteringPolicy ?? 'OSSCluster'),
      evictionPolicy: enumValue(props, 'evictionPolicy', existing?.evictionPolicy ?? 'VolatileLRU'),
      accessKeysAuthentication: enumValue(props, 'accessKeysAuthentication', existing?.accessKeysAuthentication ?? 'Disabled') as 'Enabled' | 'Disabled',
      deferUpgrade: enumValue(props, 'deferUpgrade', existing?.deferUpgrade ?? 'NotDeferred'),
    };
    if (wanted.clientProtocol === 'Plaintext' && state.plane) throw badRequest('The Azure twin serves databases over TLS only (clientProtocol Encrypted).');
    const port = typeof props.port === 'number' ? props.port : 10000;
    if (existing) {
      // port and modules are create-only; clusteringPolicy can change only from NoCluster (spec).
      if (typeof props.port === 'number' && !state.plane && props.port !== existing.port) throw badRequest("The property 'port' cannot be updated.");
      if (wanted.clusteringPolicy !== existing.clusteringPolicy && existing.clusteringPolicy !== 'NoCluster') {
        throw badRequest(`The clustering policy cannot be changed from '${existing.clusteringPolicy}' without deleting the database.`);
      }
      Object.assign(existing, wanted, { provisioningState: 'Updating', resourceState: 'Updating' });
    }
    const database: RedisDatabase = existing ?? {
      name,
      ...wanted,
      provisioningState: 'Creating',
      resourceState: 'Creating',
      port,
      persistence: isObject(props.persistence) ? props.persistence : { aofEnabled: false, rdbEnabled: false },
      modules: Array.isArray(props.modules)
        ? props.modules.filter(isObject).map((m) => ({ name: String(m.name), args: m.args === undefined ? undefined : String(m.args) }))
        : [],
      primaryKey: randomBytes(33).toString('base64'),
      secondaryKey: randomBytes(33).toString('base64'),
      assignments: new Map(),
    };
    if (!existing) {
      cluster.databases.set(name.toLowerCase(), database);
      // The data plane starts with the database: the front's port is what ARM reports (docs/twin.md).
      if (state.plane) database.port = await state.plane.start(cluster, database);
    }
    const { headers } = startOperation(
      ctx,
      req,
      cluster,
      'Databases_Create',
      () => {
        database.provisioningState = 'Succeeded';
        database.resourceState = 'Running';
      },
      () => {
        database.provisioningState = 'Failed';
        database.resourceState = existing ? 'UpdateFailed' : 'CreateFailed';
      },
    );
    return ok(databaseView(cluster, database), existing ? 200 : 201, headers(false));
  };

  const putAssignment = (req: ArmRequest): ArmResponse => {
    const { cluster, database } = requireDatabase(ctx, state, req);
    const name = req.params.accessPolicyAssignmentName!;
    if (!ASSIGNMENT_NAME.test(name))
      throw new ArmError(400, 'InvalidResourceName', `The access policy assignment name '${name}' is invalid: use 1-60 letters and digits.`);
    const props = isObject(requireBody(req).properties) ? (requireBody(req).properties as Record<string, unknown>) : {};
    if (props.accessPolicyName !== 'default')
      throw badRequest(`The access policy '${String(props.accessPolicyName)}' is not supported. Only "default" policy is supported for now.`);
    const objectId = isObject(props.user) ? props.user.objectId : undefined;
    if (typeof objectId !== 'string' || !GUID.test(objectId))
      throw badRequest("The property 'user.objectId' must be the object id (a GUID) of a user or service principal.");
    if (settling(database.provisioningState)) throw busy(`${cluster.name}/${database.name}`);
    const existing = database.assignments.get(name.toLowerCase());
    const assignment: AccessPolicyAssignment = { name: existing?.name ?? name, accessPolicyName: 'default', objectId, provisioningState: 'Succeeded' };
    database.assignments.set(name.toLowerCase(), assignment);
    return ok(assignmentView(cluster, database, assignment), existing ? 200 : 201);
  };

  return [
    route('PUT', DATABASE_PATH, 'Databases_Create', create),
    route('GET', DATABASE_PATH, 'Databases_Get', (req) => {
      const { cluster, database } = requireDatabase(ctx, state, req);
      return ok(databaseView(cluster, database), 200, settling(database.provisioningState) ? ctx.ops.retryAfter() : {});
    }),
    route('GET', `${CLUSTER_PATH}/databases`, 'Databases_ListByCluster', (req) => {
      const cluster = requireCluster(ctx, state, req);
      return ok({ value: [...cluster.databases.values()].map((d) => databaseView(cluster, d)) });
    }),
    route('DELETE', DATABASE_PATH, 'Databases_Delete', (req) => {
      const cluster = requireCluster(ctx, state, req);
      const database = cluster.databases.get(req.params.databaseName!.toLowerCase());
      if (!database) return { status: 204 };
      if (settling(database.provisioningState)) throw busy(`${cluster.name}/${database.name}`);
      database.provisioningState = 'Deleting';
      database.resourceState = 'Deleting';
      const { headers } = startOperation(
        ctx,
        req,
        cluster,
        'Databases_Delete',
        () => {
          cluster.databases.delete(database.name.toLowerCase());
          void state.plane?.stop(cluster, database);
        },
        () => {
          database.provisioningState = 'Failed';
          database.resourceState = 'DeleteFailed';
        },
      );
      return { status: 202, headers: headers(true) };
    }),
    route('POST', `${DATABASE_PATH}/listKeys`, 'Databases_ListKeys', (req) => {
      const { database } = requireDatabase(ctx, state, req);
      if (database.accessKeysAuthentication !== 'Enabled') {
        throw badRequest('Access keys authentication is disabled for this database. Enable accessKeysAuthentication, or connect with Microsoft Entra ID.');
      }
      return ok({ primaryKey: database.primaryKey, secondaryKey: database.secondaryKey });
    }),
    route('PUT', ASSIGNMENT_PATH, 'AccessPolicyAssignment_CreateUpdate', putAssignment),
    route('GET', ASSIGNMENT_PATH, 'AccessPolicyAssignment_Get', (req) => {
      const { cluster, database } = requireDatabase(ctx, state, req);
      const a = database.assignments.get(req.params.accessPolicyAssignmentName!.toLowerCase());
      if (!a) {
        throw resourceNotFound(
          `${CACHE}/redisEnterprise/${cluster.name}/databases/${database.name}/accessPolicyAssignments/${req.params.accessPolicyAssignmentName}`,
          req.params.resourceGroupName!,
        );
      }
      return ok(assignmentView(cluster, database, a));
    }),
    route('GET', `${DATABASE_PATH}/accessPolicyAssignments`, 'AccessPolicyAssignment_List', (req) => {
      const { cluster, database } = requireDatabase(ctx, state, req);
      return ok({ value: [...database.assignments.values()].map((a) => assignmentView(cluster, database, a)) });
    }),
    route('DELETE', ASSIGNMENT_PATH, 'AccessPolicyAssignment_Delete', (req) => {
      const { cluster, database } = requireDatabase(ctx, state, req);
      const name = req.params.accessPolicyAssignmentName!.toLowerCase();
      const a = database.assignments.get(name);
      if (!a) return { status: 204 };
      a.provisioningState = 'Deleting';
      const { headers } = startOperation(
        ctx,
        req,
        cluster,
        'AccessPolicyAssignment_Delete',
        () => void database.assignments.delete(name),
        () => (a.provisioningState = 'Failed'),
      );
      return { status: 202, headers: headers(true) };
    }),
  ];
}
