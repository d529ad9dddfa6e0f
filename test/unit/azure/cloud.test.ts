import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors.js';
import { cloudFromEnvironment } from '../../../src/azure/cloud.js';

test('the public cloud by default', () => {
  assert.deepEqual(cloudFromEnvironment({}), {
    name: 'AzureCloud',
    resourceManagerEndpoint: 'https://management.azure.com',
    resourceManagerScope: 'https://management.azure.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  });
});

test('named clouds, case-insensitively, as the Azure CLI names them', () => {
  assert.equal(cloudFromEnvironment({ AZURE_CLOUD: 'azurechinacloud' }).resourceManagerEndpoint, 'https://management.chinacloudapi.cn');
  assert.equal(cloudFromEnvironment({ AZURE_CLOUD: 'AzureUSGovernment' }).authorityHost, 'https://login.microsoftonline.us');
  assert.throws(
    () => cloudFromEnvironment({ AZURE_CLOUD: 'Mars' }),
    (error: unknown) => error instanceof UserError && /AzureCloud, AzureChinaCloud/.test(error.suggestion ?? ''),
  );
});

test("a custom Resource Manager endpoint keeps the cloud's token audience unless told otherwise", () => {
  const cloud = cloudFromEnvironment({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://127.0.0.1:4443/' });
  assert.equal(cloud.name, 'custom');
  assert.equal(cloud.resourceManagerEndpoint, 'https://127.0.0.1:4443');
  assert.equal(cloud.resourceManagerScope, 'https://management.azure.com/.default');
  assert.equal(
    cloudFromEnvironment({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://stack.local', AZURE_RESOURCE_MANAGER_AUDIENCE: 'https://stack.local/' })
      .resourceManagerScope,
    'https://stack.local/.default',
  );
});

test('a custom endpoint must be https, since tokens are only sent over TLS', () => {
  assert.throws(() => cloudFromEnvironment({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'http://127.0.0.1:8080' }), /not an https:\/\/ URL/);
  assert.throws(() => cloudFromEnvironment({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'not a url' }), /not an https:\/\/ URL/);
});
