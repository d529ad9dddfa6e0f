import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors.js';
import { checkFlags, requestedSettings } from '../../../src/ops/up/settings.js';

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

  it('--shared-state: the flag (on or off), else BALANCER_SHARED_STATE, else off; a stored value other than true/false is refused', () => {
    assert.equal(requestedSettings({}, {}, {}).sharedState, false);
    assert.equal(requestedSettings({ sharedState: true }, {}, {}).sharedState, true);
    assert.equal(requestedSettings({}, { BALANCER_SHARED_STATE: 'true' }, {}).sharedState, true);
    assert.equal(requestedSettings({ sharedState: false }, { BALANCER_SHARED_STATE: 'true' }, {}).sharedState, false);
    assert.equal(requestedSettings({}, {}, { BALANCER_SHARED_STATE: 'true' }).sharedState, false, 'only the stored value counts, not the shell');
    assert.throws(() => requestedSettings({}, { BALANCER_SHARED_STATE: 'yes' }, {}), usage(/BALANCER_SHARED_STATE "yes" is not true or false/));
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

describe('client auth', () => {
  const app = '5f1c2b7e-8d4a-4c1e-9a3b-2e6f0d7c9a41';
  it('defaults to keys; entra and both take an allow-list of GUIDs, stored for the next run', () => {
    assert.deepEqual(pickAuth(requestedSettings({}, {}, {})), { clientAuth: 'keys', allowedClientIds: [] });
    assert.deepEqual(pickAuth(requestedSettings({ clientAuth: 'entra', allowedClientIds: ` ${app} ,${app.toUpperCase()}` }, {}, {})), {
      clientAuth: 'entra',
      allowedClientIds: [app, app.toUpperCase()],
    });
    assert.deepEqual(pickAuth(requestedSettings({}, { BALANCER_CLIENT_AUTH: 'both', BALANCER_ALLOWED_CLIENT_IDS: app }, {})), {
      clientAuth: 'both',
      allowedClientIds: [app],
    });
  });

  it('--client-auth keys goes back to keys and drops the stored allow-list', () => {
    assert.deepEqual(pickAuth(requestedSettings({ clientAuth: 'keys' }, { BALANCER_CLIENT_AUTH: 'entra', BALANCER_ALLOWED_CLIENT_IDS: app }, {})), {
      clientAuth: 'keys',
      allowedClientIds: [],
    });
  });

  it('refuses ids that are not GUIDs, an allow-list with keys, and an unknown mode (exit 2), before anything else', () => {
    assert.throws(() => checkFlags({ allowedClientIds: 'chat-app' }), /--allowed-client-ids has "chat-app", which is not an app or object id/);
    assert.throws(
      () => checkFlags({ clientAuth: 'keys', allowedClientIds: app }),
      /--allowed-client-ids applies to Entra ID tokens, and --client-auth is keys/,
    );
    assert.throws(
      () => requestedSettings({ clientAuth: 'jwt' }, {}, {}),
      (error: UserError) => error.exitCode === 2 && /--client-auth "jwt" is not keys, entra or both/.test(error.message),
    );
  });
});

function pickAuth(settings: ReturnType<typeof requestedSettings>): { clientAuth: string; allowedClientIds: string[] } {
  return { clientAuth: settings.clientAuth, allowedClientIds: settings.allowedClientIds };
}
