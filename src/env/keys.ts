/**
 * The environment's keys, written once for every command (docs/up.md lists them): the settings `up`
 * reads back on its next run, and the outputs it writes, which `down` clears and the day-2 commands read.
 */

/** Settings: flags stored so that a re-run (or `env set KEY VALUE`, then `up`) keeps them. */
export const settingKeys = {
  capacity: 'OPENAI_CAPACITY',
  sku: 'OPENAI_SKU',
  regions: 'OPENAI_REGIONS',
  chatModel: 'OPENAI_CHAT_MODEL',
  embeddingModel: 'OPENAI_EMBEDDING_MODEL',
  chatDeployment: 'AZURE_OPENAI_CHATGPT_DEPLOYMENT',
  embeddingDeployment: 'AZURE_OPENAI_EMB_DEPLOYMENT',
  priorities: 'OPENAI_PRIORITIES',
  image: 'BALANCER_IMAGE',
  location: 'AZURE_LOCATION',
  subscription: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'AZURE_RESOURCE_GROUP',
  clientAuth: 'BALANCER_CLIENT_AUTH',
  allowedClientIds: 'BALANCER_ALLOWED_CLIENT_IDS',
  /** `true`: the replicas share their state through an Azure Managed Redis (`up --shared-state`). */
  sharedState: 'BALANCER_SHARED_STATE',
} as const;

/** Outputs: what `up` found or made; `down` clears exactly these. */
export const outputKeys = {
  containerAppUrl: 'CONTAINER_APP_URL',
  containerAppName: 'CONTAINER_APP_NAME',
  accounts: 'AZURE_OPENAI_ACCOUNTS',
  endpoints: 'AZURE_OPENAI_ENDPOINTS',
  identityClientId: 'AZURE_MANAGED_IDENTITY_CLIENT_ID',
  registryName: 'AZURE_CONTAINER_REGISTRY_NAME',
  imageDeployed: 'BALANCER_IMAGE_DEPLOYED',
  /** With --shared-state: the Azure Managed Redis cluster and the URL the balancer connects to. */
  sharedStateName: 'AZURE_MANAGED_REDIS_NAME',
  sharedStateUrl: 'AZURE_MANAGED_REDIS_URL',
} as const;

export const allOutputKeys: readonly string[] = Object.values(outputKeys);
