/**
 * Regions where Azure OpenAI offers Standard (regional) deployments, the candidates `--regions auto`
 * asks for models and quota. A region missing here can still be named with --regions.
 */
export const openaiRegions: readonly string[] = [
  'australiaeast',
  'brazilsouth',
  'canadaeast',
  'eastus',
  'eastus2',
  'francecentral',
  'germanywestcentral',
  'japaneast',
  'koreacentral',
  'northcentralus',
  'norwayeast',
  'polandcentral',
  'southafricanorth',
  'southcentralus',
  'southindia',
  'spaincentral',
  'swedencentral',
  'switzerlandnorth',
  'uaenorth',
  'uksouth',
  'westeurope',
  'westus',
  'westus3',
];
