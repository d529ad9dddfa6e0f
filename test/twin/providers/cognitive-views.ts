// The JSON ARM returns for accounts and deployments, shaped after the recorded account-create
// response (recording_should_create_an_openai_account_for_testing.json) and GetDeployment.json.
import { normalizeLocation, systemData } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Account, Deployment } from '../state.js';
import { CS, accountId } from './cognitive-shared.js';

export const deletedAccountId = (a: Account): string =>
  `/subscriptions/${a.subscriptionId}/providers/${CS}/locations/${normalizeLocation(a.location)}/resourceGroups/${a.resourceGroup}/deletedAccounts/${a.name}`;

const CALL_RATE_LIMIT = {
  rules: [
    { key: 'openai.dalle.post', renewalPeriod: 1, count: 30, matchPatterns: [{ path: 'dalle/*', method: 'POST' }] },
    { key: 'openai.dalle.other', renewalPeriod: 1, count: 30, matchPatterns: [{ path: 'dalle/*', method: '*' }] },
    { key: 'openai', renewalPeriod: 1, count: 30, matchPatterns: [{ path: 'openai/*', method: '*' }] },
    { key: 'default', renewalPeriod: 1, count: 30, matchPatterns: [{ path: '*', method: '*' }] },
  ],
};

const CAPABILITIES = [
  { name: 'VirtualNetworks' },
  { name: 'CustomerManagedKey' },
  { name: 'MaxFineTuneCount', value: '100' },
  { name: 'MaxRunningFineTuneCount', value: '1' },
  { name: 'MaxUserFileCount', value: '50' },
  { name: 'MaxTrainingFileSize', value: '512000000' },
  { name: 'MaxUserFileImportDurationInHours', value: '1' },
  { name: 'MaxFineTuneJobDurationInHours', value: '720' },
  { name: 'TrustedServices', value: 'Microsoft.CognitiveServices,Microsoft.MachineLearningServices,Microsoft.Search' },
];

export function accountView(ctx: TwinContext, a: Account): Record<string, unknown> {
  const endpoint = ctx.accountEndpoint(a);
  const properties: Record<string, unknown> = {
    endpoint,
    internalId: a.internalId,
    dateCreated: a.dateCreated,
    callRateLimit: CALL_RATE_LIMIT,
    isMigrated: false,
    ...a.properties,
    privateEndpointConnections: [],
    publicNetworkAccess: a.properties.publicNetworkAccess ?? 'Enabled',
    capabilities: CAPABILITIES,
    endpoints: {
      'OpenAI Language Model Instance API': endpoint,
      'OpenAI Dall-E API': endpoint,
      'OpenAI Realtime API': endpoint.replace(/^https:/, 'wss:'),
      'Token Service API': endpoint,
    },
    provisioningState: a.provisioningState,
  };
  if (a.deletionDate) {
    properties.deletionDate = a.deletionDate;
    properties.scheduledPurgeDate = a.scheduledPurgeDate;
  }
  return {
    id: a.deletionDate ? deletedAccountId(a) : accountId(a),
    name: a.name,
    type: `${CS}/accounts`,
    etag: a.etag,
    location: a.location,
    sku: a.sku,
    kind: a.kind,
    ...(a.tags ? { tags: a.tags } : {}),
    properties,
    ...(a.identity ? { identity: a.identity } : {}),
    systemData: { ...systemData(a.createdAt), lastModifiedAt: a.modifiedAt },
  };
}

/** A deployment's rate limits as ARM reports them: capacity × 1K tokens per minute, capacity requests per 10 s. */
export function deploymentView(a: Account, d: Deployment): Record<string, unknown> {
  const { capacity } = d.sku;
  return {
    id: `${accountId(a)}/deployments/${d.name}`,
    type: `${CS}/accounts/deployments`,
    name: d.name,
    sku: { name: d.sku.name, capacity },
    properties: {
      model: d.model,
      ...d.properties,
      capabilities: { chatCompletion: 'true' },
      rateLimits: [
        { key: 'request', renewalPeriod: 10, count: capacity },
        { key: 'token', renewalPeriod: 60, count: capacity * 1000 },
      ],
      provisioningState: d.provisioningState,
    },
    etag: d.etag,
    systemData: { ...systemData(d.createdAt), lastModifiedAt: d.modifiedAt },
  };
}
