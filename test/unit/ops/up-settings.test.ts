import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors.js';
import { requestedSettings } from '../../../src/ops/up/settings.js';

const usage = (pattern: RegExp) => (error: unknown) => error instanceof UserError && error.exitCode === 2 && pattern.test(error.message);

describe("up's settings: flags, else the stored environment, else defaults", () => {
  it('defaults: three accounts in auto regions, Standard, 30K TPM, the chat app models, chat/embedding', () => {
    const s = requestedSettings({}, {}, {});
    assert.equal(s.regions, 'auto');
    assert.equal(s.accountCount, 3);
    assert.equal(s.sku, 'Standard');
    assert.equal(s.capacity, 30);
    assert.deepEqual(s.chat, { deployment: 'chat', model: { name: 'gpt-5.4-mini', version: '2026-03-17' } });
    assert.deepEqual(s.embedding, { deployment: 'embedding', model: { name: 'text-embedding-3-large', version: '1' } });
  });

  it('reads what `env set` stored, and flags win over it', () => {
    const stored = { OPENAI_CAPACITY: '50', OPENAI_REGIONS: 'eastus,westus3', AZURE_LOCATION: 'eastus2' };
    assert.equal(requestedSettings({}, stored, {}).capacity, 50);
    assert.deepEqual(requestedSettings({}, stored, {}).regions, ['eastus', 'westus3']);
    assert.equal(requestedSettings({ capacity: '40' }, stored, {}).capacity, 40);
    assert.equal(requestedSettings({}, stored, {}).location, 'eastus2');
    assert.equal(requestedSettings({}, {}, { AZURE_LOCATION: 'westus' }).location, 'westus');
  });

  it('refuses bad input with the flag named and the fix', () => {
    assert.throws(() => requestedSettings({ capacity: 'lots' }, {}, {}), usage(/--capacity "lots"/));
    assert.throws(() => requestedSettings({}, { OPENAI_CAPACITY: '0' }, {}), usage(/OPENAI_CAPACITY "0"/));
    assert.throws(() => requestedSettings({ regions: 'eastus,eastus' }, {}, {}), usage(/names a region twice/));
    assert.throws(() => requestedSettings({ regions: 'a,b', accounts: '3' }, {}, {}), usage(/does not match/));
    assert.throws(() => requestedSettings({ priorities: '1,2' }, {}, {}), usage(/2 values for 3 accounts/));
    assert.throws(() => requestedSettings({ chatModel: 'gpt-4o' }, {}, {}), usage(/not name:version/));
    assert.throws(() => requestedSettings({ sku: 'Premium' }, {}, {}), usage(/not Standard or GlobalStandard/));
  });
});
