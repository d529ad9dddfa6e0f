// Run by clients.test.ts as a child process (NODE_EXTRA_CA_CERTS trusts the twin; PATH has the fake az):
// signs in, resolves the subscription and makes one call with each client factory, as `up` will.
import {
  authorizationClient,
  cognitiveClient,
  containerAppsClient,
  logAnalyticsClient,
  msiClient,
  registryClient,
  resourcesClient,
} from '../../src/azure/clients.js';
import { cloudFromEnvironment } from '../../src/azure/cloud.js';
import { azureCredential, signIn } from '../../src/azure/credential.js';
import { listSubscriptions, resolveSubscription } from '../../src/azure/subscription.js';

const cloud = cloudFromEnvironment(process.env);
const credential = azureCredential(cloud);
await signIn(credential, cloud);
const subscription = await resolveSubscription({ env: process.env, interactive: false, list: () => listSubscriptions(cloud, credential) });
const ctx = { cloud, credential, subscriptionId: subscription.id };
const rg = 'rg-clients';

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

const group = await (await resourcesClient(ctx)).resourceGroups.createOrUpdate(rg, { location: 'eastus' });
const counts = {
  accounts: (await collect((await cognitiveClient(ctx)).accounts.listByResourceGroup(rg))).length,
  containerApps: (await collect((await containerAppsClient(ctx)).containerApps.listByResourceGroup(rg))).length,
  registries: (await collect((await registryClient(ctx)).registries.listByResourceGroup(rg))).length,
  roleAssignments: (await collect((await authorizationClient(ctx)).roleAssignments.listForScope(group.id!))).length,
  workspaces: (await collect((await logAnalyticsClient(ctx)).workspaces.listByResourceGroup(rg))).length,
  identities: (await collect((await msiClient(ctx)).userAssignedIdentities.listByResourceGroup(rg))).length,
};
console.log(JSON.stringify({ subscription, group: group.id, counts }));
