/**
 * The deployment as ARM has it now, for `status`: each account `up` recorded (AZURE_OPENAI_ACCOUNTS) with
 * its region and chat/embedding deployments, and the app's replicas. What is missing is shown as
 * missing, not thrown: status reports, it does not judge.
 */
import type { ArmContext } from '../../azure/clients.js';
import { getAccount, getDeployment } from '../../azure/openai.js';
import type { EnvValues } from '../../env/dotenv.js';
import { getRedisCluster, getRedisDatabase, redisPort, sharedStateUrl } from '../../azure/redis.js';
import { outputKeys } from '../../env/keys.js';
import type { StatusAccount, StatusReplica, StatusSharedStore } from './snapshot.js';
import { activeReplicas } from '../deployed-app.js';

export async function readAccounts(arm: ArmContext, group: string, values: EnvValues): Promise<StatusAccount[]> {
  const names = (values.AZURE_OPENAI_ACCOUNTS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const deploymentNames = [values.AZURE_OPENAI_CHATGPT_DEPLOYMENT || 'chat', values.AZURE_OPENAI_EMB_DEPLOYMENT || 'embedding'];
  return Promise.all(
    names.map(async (name): Promise<StatusAccount> => {
      const account = await getAccount(arm, group, name);
      if (!account) return { name, region: '', endpoint: '', provisioningState: 'not found', deployments: [] };
      const deployments = await Promise.all(
        deploymentNames.map(async (deploymentName) => {
          const d = await getDeployment(arm, group, name, deploymentName);
          return {
            name: deploymentName,
            model: d ? `${d.model.name ?? '?'}:${d.model.version ?? '?'}` : '',
            sku: d?.sku.name ?? '',
            capacity: d?.sku.capacity ?? 0,
            provisioningState: d?.provisioningState ?? 'not found',
          };
        }),
      );
      return { name, region: account.location, endpoint: account.endpoint ?? '', provisioningState: account.provisioningState ?? '', deployments };
    }),
  );
}

/** The replicas of the active revisions (the latest one when none is active), as `logs` reads them. */
export async function readReplicas(arm: ArmContext, group: string, app: string, latestRevision: string | undefined): Promise<StatusReplica[]> {
  const replicas = await activeReplicas(arm, group, app, latestRevision);
  return replicas.map((replica) => ({ name: replica.name, revision: replica.revision, runningState: replica.runningState ?? 'Unknown' }));
}

/** The shared-state store `up --shared-state` recorded (AZURE_MANAGED_REDIS_NAME), as ARM has it; undefined without one. */
export async function readSharedStore(arm: ArmContext, group: string, values: EnvValues): Promise<StatusSharedStore | undefined> {
  const name = values[outputKeys.sharedStateName]?.trim();
  if (!name) return undefined;
  const cluster = await getRedisCluster(arm, group, name);
  if (!cluster) return { name, location: '', provisioningState: 'not found', resourceState: '', endpoint: '' };
  const database = await getRedisDatabase(arm, group, name);
  return {
    name,
    location: cluster.location,
    provisioningState: cluster.provisioningState ?? '',
    resourceState: cluster.resourceState ?? '',
    endpoint: cluster.hostName ? sharedStateUrl(cluster.hostName, database?.port ?? redisPort) : '',
  };
}
