/**
 * Which Azure the CLI talks to, from configuration: a named cloud (AZURE_CLOUD, the names the Azure CLI
 * uses) or a custom Resource Manager endpoint (AZURE_RESOURCE_MANAGER_ENDPOINT, e.g. Azure Stack or a
 * local stand-in). Every SDK client is built from this one value.
 */
import { ExitCode, UserError } from '../core/errors.js';

export interface Cloud {
  name: string;
  resourceManagerEndpoint: string;
  /** The token scope for Resource Manager calls. */
  resourceManagerScope: string;
  authorityHost: string;
}

const clouds: Record<string, Omit<Cloud, 'name'>> = {
  AzureCloud: {
    resourceManagerEndpoint: 'https://management.azure.com',
    resourceManagerScope: 'https://management.azure.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  },
  AzureChinaCloud: {
    resourceManagerEndpoint: 'https://management.chinacloudapi.cn',
    resourceManagerScope: 'https://management.chinacloudapi.cn/.default',
    authorityHost: 'https://login.chinacloudapi.cn',
  },
  AzureUSGovernment: {
    resourceManagerEndpoint: 'https://management.usgovcloudapi.net',
    resourceManagerScope: 'https://management.usgovcloudapi.net/.default',
    authorityHost: 'https://login.microsoftonline.us',
  },
};

export function cloudFromEnvironment(env: Record<string, string | undefined>): Cloud {
  const named = env.AZURE_CLOUD?.trim() || 'AzureCloud';
  const base = Object.entries(clouds).find(([name]) => name.toLowerCase() === named.toLowerCase());
  if (!base) {
    throw new UserError('cloud-unknown', `AZURE_CLOUD "${named}" is not a cloud aoai-lb knows.`, {
      suggestion: `use one of ${Object.keys(clouds).join(', ')}, or set AZURE_RESOURCE_MANAGER_ENDPOINT for another`,
      exitCode: ExitCode.usage,
    });
  }
  const [name, settings] = base;
  const custom = env.AZURE_RESOURCE_MANAGER_ENDPOINT?.trim();
  if (!custom) return { name, ...settings, authorityHost: env.AZURE_AUTHORITY_HOST?.trim() || settings.authorityHost };
  let url: URL;
  try {
    url = new URL(custom);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'https:') {
    throw new UserError('cloud-endpoint-invalid', `AZURE_RESOURCE_MANAGER_ENDPOINT "${custom}" is not an https:// URL.`, {
      suggestion: 'Resource Manager tokens are only sent over TLS: give the https:// address of the endpoint',
      exitCode: ExitCode.usage,
    });
  }
  const endpoint = url.href.replace(/\/+$/, '');
  return {
    name: 'custom',
    resourceManagerEndpoint: endpoint,
    // A custom endpoint still takes tokens for its cloud's Resource Manager audience unless told otherwise.
    resourceManagerScope: env.AZURE_RESOURCE_MANAGER_AUDIENCE?.trim()
      ? `${env.AZURE_RESOURCE_MANAGER_AUDIENCE.trim().replace(/\/+$/, '')}/.default`
      : settings.resourceManagerScope,
    authorityHost: env.AZURE_AUTHORITY_HOST?.trim() || settings.authorityHost,
  };
}
