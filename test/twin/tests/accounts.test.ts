// Cognitive Services accounts on the twin through the real CognitiveServicesManagementClient:
// the create LRO against the recorded shape, subdomain checks, soft-delete, purge and the conflicts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CognitiveServicesManagementClient, type Account } from '@azure/arm-cognitiveservices';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';

const FIXTURES = '/work/shared/azure-fixtures';
interface RecordedEntry {
  RequestMethod: string;
  RequestUri: string;
  StatusCode: number;
  ResponseHeaders: Record<string, string>;
  ResponseBody: Record<string, unknown>;
}
const recording = JSON.parse(
  readFileSync(`${FIXTURES}/recordings/sdk-js/arm-cognitiveservices/recording_should_create_an_openai_account_for_testing.json`, 'utf8'),
) as { Entries: RecordedEntry[] };

const openAiAccount = (subdomain: string, location = 'West Europe'): Account => ({
  location,
  kind: 'OpenAI',
  sku: { name: 'S0' },
  identity: { type: 'SystemAssigned' },
  tags: { 'aoai-lb-env': 'dev' },
  properties: { customSubDomainName: subdomain, disableLocalAuth: true, publicNetworkAccess: 'Enabled' },
});
const keys = (o: unknown) => Object.keys(o as object).sort();

describe('twin: Cognitive Services accounts', () => {
  let twin: Twin;
  let cs: CognitiveServicesManagementClient;
  let rm: ResourceManagementClient;
  before(async () => {
    twin = await startTwin();
    cs = new CognitiveServicesManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    rm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await rm.resourceGroups.createOrUpdate('rg-acc', { location: 'westeurope' });
  });
  after(() => twin.close());

  it('creates an OpenAI account: 201 Creating + Azure-AsyncOperation, polls, final GET Succeeded (as recorded)', async () => {
    const [put] = recording.Entries;
    const recordedFinal = recording.Entries.at(-1)!;
    const raw = await rawRequest(
      twin,
      'PUT',
      `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-acc/providers/Microsoft.CognitiveServices/accounts/acc-raw?api-version=2025-09-01`,
      { body: openAiAccount('acc-raw-sub') },
    );
    assert.equal(raw.status, put!.StatusCode);
    const body = raw.json() as Record<string, Record<string, unknown>>;
    for (const k of keys(put!.ResponseBody)) assert.ok(k in body, `201 body has ${k}`);
    for (const k of keys(put!.ResponseBody.properties)) assert.ok(k in body.properties!, `properties has ${k}`);
    assert.equal(body.properties!.provisioningState, 'Creating');
    assert.equal(body.properties!.endpoint, 'https://acc-raw-sub.openai.azure.com/');
    assert.equal(body.location, 'West Europe');
    const asyncUrl = String(raw.headers['azure-asyncoperation']);
    assert.ok(
      asyncUrl.startsWith(`${twin.url}/subscriptions/${twin.subscriptionId}/providers/Microsoft.CognitiveServices/locations/West%20Europe/operationResults/`),
      asyncUrl,
    );
    assert.match(asyncUrl, /\?api-version=2017-04-18$/);
    const status = await rawRequest(twin, 'GET', asyncUrl);
    const statusBody = status.json() as Record<string, string>;
    assert.ok(['Creating', 'Succeeded'].includes(statusBody.status!));
    for (const k of ['id', 'name', 'status', 'startTime']) assert.ok(k in statusBody, `status has ${k}`);
    assert.ok(statusBody.id!.includes('/locations/West Europe/operationResults/'), 'status id keeps the raw region name, as recorded');

    const account = await cs.accounts.beginCreateAndWait('rg-acc', 'acc-sdk', openAiAccount('acc-sdk-sub'), fastPoll);
    for (const k of keys(recordedFinal.ResponseBody)) assert.ok(k in account, `final account has ${k}`);
    assert.equal(account.properties?.provisioningState, 'Succeeded');
    assert.equal(account.kind, 'OpenAI');
    assert.equal(account.sku?.name, 'S0');
    assert.equal(account.type, 'Microsoft.CognitiveServices/accounts');
    assert.equal(account.id, `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-acc/providers/Microsoft.CognitiveServices/accounts/acc-sdk`);
    assert.equal(account.properties?.endpoint, 'https://acc-sdk-sub.openai.azure.com/');
    assert.equal(account.properties?.customSubDomainName, 'acc-sdk-sub');
    assert.equal(account.properties?.disableLocalAuth, true);
    assert.equal(account.identity?.type, 'SystemAssigned');
    assert.match(String(account.identity?.principalId), /^[0-9a-f-]{36}$/);
    const polls = twin.requests.filter((r) => r.operationId === 'OperationStatus_Get');
    assert.ok(polls.length >= 1);
    const listed = [];
    for await (const a of cs.accounts.listByResourceGroup('rg-acc')) listed.push(a.name);
    assert.deepEqual(listed.sort(), ['acc-raw', 'acc-sdk']);
  });

  it('checks subdomain availability', async () => {
    const taken = await cs.checkDomainAvailability('acc-sdk-sub', 'Microsoft.CognitiveServices/accounts', { kind: 'OpenAI' });
    assert.equal(taken.isSubdomainAvailable, false);
    assert.equal(taken.subdomainName, 'acc-sdk-sub');
    const free = await cs.checkDomainAvailability('brand-new-sub', 'Microsoft.CognitiveServices/accounts', { kind: 'OpenAI' });
    assert.equal(free.isSubdomainAvailable, true);
    assert.equal(free.type, 'Microsoft.CognitiveServices/accounts');
    const invalid = await cs.checkDomainAvailability('-bad-', 'Microsoft.CognitiveServices/accounts');
    assert.equal(invalid.isSubdomainAvailable, false);
    assert.equal(invalid.reason, "Sub domain name '-bad-' is not valid");
  });

  it('answers 404 ResourceNotFound for a missing account', async () => {
    await assert.rejects(cs.accounts.get('rg-acc', 'missing'), (e: { statusCode: number; code: string; message: string }) => {
      assert.equal(e.statusCode, 404);
      assert.equal(e.code, 'ResourceNotFound');
      assert.equal(
        e.message,
        "The Resource 'Microsoft.CognitiveServices/accounts/missing' under resource group 'rg-acc' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
      );
      return true;
    });
  });

  it('soft-deletes on delete, blocks the name and subdomain, and frees both after purge', async () => {
    await cs.accounts.beginCreateAndWait('rg-acc', 'acc-del', openAiAccount('acc-del-sub', 'eastus'), fastPoll);
    await cs.accounts.beginDeleteAndWait('rg-acc', 'acc-del', fastPoll);
    await assert.rejects(cs.accounts.get('rg-acc', 'acc-del'), (e: { statusCode: number }) => e.statusCode === 404);

    const deleted = [];
    for await (const a of cs.deletedAccounts.list()) deleted.push(a);
    const mine = deleted.find((a) => a.name === 'acc-del');
    assert.ok(mine, 'listed among deleted accounts');
    assert.equal(
      mine.id,
      `/subscriptions/${twin.subscriptionId}/providers/Microsoft.CognitiveServices/locations/eastus/resourceGroups/rg-acc/deletedAccounts/acc-del`,
    );
    assert.ok(mine.properties?.deletionDate && mine.properties.scheduledPurgeDate);
    const got = await cs.deletedAccounts.get('eastus', 'rg-acc', 'acc-del');
    assert.equal(got.properties?.customSubDomainName, 'acc-del-sub');

    await assert.rejects(
      cs.accounts.beginCreateAndWait('rg-acc', 'acc-del', openAiAccount('acc-del-sub', 'eastus'), fastPoll),
      (e: { statusCode: number; code: string; message: string }) => {
        assert.equal(e.statusCode, 409);
        assert.equal(e.code, 'FlagMustBeSetForRestore');
        assert.equal(
          e.message,
          `An existing resource with ID '/subscriptions/${twin.subscriptionId}/resourceGroups/rg-acc/providers/Microsoft.CognitiveServices/accounts/acc-del' has been soft-deleted. To restore the resource, you must specify 'restore' to be 'true' in the property. If you don't want to restore existing resource, please purge it first.`,
        );
        return true;
      },
    );
    await assert.rejects(
      cs.accounts.beginCreateAndWait('rg-acc', 'other-name', openAiAccount('acc-del-sub', 'eastus'), fastPoll),
      (e: { statusCode: number; code: string; message: string }) => {
        assert.equal(e.statusCode, 409);
        assert.equal(e.code, 'CustomDomainInUse');
        assert.equal(
          e.message,
          "Please pick a different name. The subdomain name 'acc-del-sub' is not available as it's already used by a resource. If the resource using the name was deleted in the last 48 hours, you may need to purge the deleted resource.",
        );
        return true;
      },
    );
    assert.equal((await cs.checkDomainAvailability('acc-del-sub', 'Microsoft.CognitiveServices/accounts')).isSubdomainAvailable, false);

    await cs.deletedAccounts.beginPurgeAndWait('eastus', 'rg-acc', 'acc-del', fastPoll);
    await assert.rejects(cs.deletedAccounts.get('eastus', 'rg-acc', 'acc-del'), (e: { statusCode: number }) => e.statusCode === 404);
    assert.equal((await cs.checkDomainAvailability('acc-del-sub', 'Microsoft.CognitiveServices/accounts')).isSubdomainAvailable, true);
    const again = await cs.accounts.beginCreateAndWait('rg-acc', 'acc-del', openAiAccount('acc-del-sub', 'eastus'), fastPoll);
    assert.equal(again.properties?.provisioningState, 'Succeeded');
  });

  it('restores a soft-deleted account with restore: true', async () => {
    await cs.accounts.beginCreateAndWait('rg-acc', 'acc-rest', openAiAccount('acc-rest-sub'), fastPoll);
    await cs.accounts.beginDeleteAndWait('rg-acc', 'acc-rest', fastPoll);
    const body = openAiAccount('acc-rest-sub');
    body.properties!.restore = true;
    const restored = await cs.accounts.beginCreateAndWait('rg-acc', 'acc-rest', body, fastPoll);
    assert.equal(restored.properties?.provisioningState, 'Succeeded');
    assert.equal(restored.properties?.deletionDate, undefined);
  });

  it('deleting the resource group soft-deletes its accounts', async () => {
    await rm.resourceGroups.createOrUpdate('rg-gone', { location: 'swedencentral' });
    await cs.accounts.beginCreateAndWait('rg-gone', 'acc-in-rg', openAiAccount('acc-in-rg-sub', 'swedencentral'), fastPoll);
    await rm.resourceGroups.beginDeleteAndWait('rg-gone', fastPoll);
    const got = await cs.deletedAccounts.get('swedencentral', 'rg-gone', 'acc-in-rg');
    assert.equal(got.name, 'acc-in-rg');
    await assert.rejects(cs.accounts.get('rg-gone', 'acc-in-rg'), (e: { code: string }) => e.code === 'ResourceGroupNotFound');
  });

  it('rejects a region the resource type is not offered in', async () => {
    await assert.rejects(
      cs.accounts.beginCreateAndWait('rg-acc', 'acc-mars', openAiAccount('acc-mars', 'marscentral'), fastPoll),
      (e: { statusCode: number; code: string }) => e.statusCode === 400 && e.code === 'LocationNotAvailableForResourceType',
    );
  });
});
