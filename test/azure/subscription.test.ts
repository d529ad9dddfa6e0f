import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveSubscription, type SubscriptionChoice, type SubscriptionInput } from '../../src/azure/subscription.js';
import { UserError } from '../../src/core/errors.js';
import { fakeAzureCli, type FakeAzureCliOptions } from '../helpers/fake-azure-cli.js';

const A = '11111111-1111-1111-1111-111111111111';
const B = '22222222-2222-2222-2222-222222222222';
const C = '33333333-3333-3333-3333-333333333333';
const D = '44444444-4444-4444-4444-444444444444';
const E = '55555555-5555-5555-5555-555555555555';

const cleanups: Array<() => void> = [];
after(() => cleanups.forEach((cleanup) => cleanup()));

/** Config folders of the CLIs (empty unless asked), never the real ~/.azure and ~/.azd of the machine. */
function configDirs(options: FakeAzureCliOptions = {}): Record<string, string> {
  const fake = fakeAzureCli(options);
  cleanups.push(fake.cleanup);
  return { AZURE_CONFIG_DIR: fake.env.AZURE_CONFIG_DIR!, AZD_CONFIG_DIR: fake.env.AZD_CONFIG_DIR! };
}

function input(overrides: Partial<SubscriptionInput> & { subscriptions?: SubscriptionChoice[] } = {}) {
  let listed = 0;
  const { subscriptions = [], ...rest } = overrides;
  const value: SubscriptionInput = {
    env: configDirs(),
    interactive: false,
    list: async () => {
      listed++;
      return subscriptions;
    },
    ...rest,
  };
  return { value, listed: () => listed };
}

const rejectsWith =
  (code: string, check: (error: UserError) => void = () => {}) =>
  (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.equal(error.code, code);
    check(error);
    return true;
  };

describe('resolveSubscription', () => {
  it('takes --subscription first, without listing', async () => {
    const { value, listed } = input({ flag: ` ${A} `, env: { ...configDirs({ azdDefaultSubscription: C }), AZURE_SUBSCRIPTION_ID: B }, stored: C });
    assert.deepEqual(await resolveSubscription(value), { id: A, source: 'flag' });
    assert.equal(listed(), 0);
  });

  it('then AZURE_SUBSCRIPTION_ID from the environment', async () => {
    const { value } = input({ env: { ...configDirs(), AZURE_SUBSCRIPTION_ID: B }, stored: C });
    assert.deepEqual(await resolveSubscription(value), { id: B, source: 'environment variable' });
  });

  it('then the value stored in the azd environment', async () => {
    const { value } = input({ env: { ...configDirs({ azdDefaultSubscription: D }), AZURE_SUBSCRIPTION_ID: '  ' }, stored: C });
    assert.deepEqual(await resolveSubscription(value), { id: C, source: 'azd environment' });
  });

  it("then azd's default from $AZD_CONFIG_DIR/config.json", async () => {
    const { value, listed } = input({ env: configDirs({ azdDefaultSubscription: D, azureCliSubscriptions: [{ id: E, name: 'cli', isDefault: true }] }) });
    assert.deepEqual(await resolveSubscription(value), { id: D, source: 'azd default' });
    assert.equal(listed(), 0);
  });

  it("then the Azure CLI's default from azureProfile.json, which starts with a byte-order mark", async () => {
    const env = configDirs({
      azureCliSubscriptions: [
        { id: D, name: 'Other' },
        { id: E, name: 'Dev subscription', isDefault: true },
      ],
    });
    const { value, listed } = input({ env });
    assert.deepEqual(await resolveSubscription(value), { id: E, name: 'Dev subscription', source: 'Azure CLI default' });
    assert.equal(listed(), 0);
  });

  it('ignores CLI files that are unreadable or hold no default', async () => {
    const env = configDirs({ azureCliSubscriptions: [{ id: D, name: 'not default' }] });
    writeFileSync(join(env.AZD_CONFIG_DIR!, 'config.json'), '{ not json');
    const { value, listed } = input({ env, subscriptions: [{ id: A, name: 'Only' }] });
    assert.deepEqual(await resolveSubscription(value), { id: A, name: 'Only', source: 'only subscription' });
    assert.equal(listed(), 1);

    writeFileSync(join(env.AZURE_CONFIG_DIR!, 'azureProfile.json'), '\uFEFF{"subscriptions": "garbled"');
    assert.equal((await resolveSubscription(input({ env, subscriptions: [{ id: A, name: 'Only' }] }).value)).source, 'only subscription');
  });

  it('uses the only subscription the identity can see', async () => {
    const { value } = input({ subscriptions: [{ id: B, name: 'Pay-As-You-Go' }] });
    assert.deepEqual(await resolveSubscription(value), { id: B, name: 'Pay-As-You-Go', source: 'only subscription' });
  });

  it('asks when several are visible and the session is interactive', async () => {
    let offered: SubscriptionChoice[] = [];
    const { value } = input({
      interactive: true,
      subscriptions: [
        { id: A, name: 'Zeta' },
        { id: B, name: 'Alpha' },
      ],
      prompt: async (choices) => {
        offered = choices;
        return A;
      },
    });
    assert.deepEqual(await resolveSubscription(value), { id: A, name: 'Zeta', source: 'prompt' });
    assert.deepEqual(
      offered.map((c) => c.name),
      ['Alpha', 'Zeta'],
    );
  });

  it('refuses to guess when several are visible and nobody can be asked', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ id: `${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`, name: `Sub ${i}` }));
    await assert.rejects(
      resolveSubscription(input({ subscriptions: many }).value),
      rejectsWith('subscription-ambiguous', (error) => {
        assert.match(error.message, /^12 subscriptions are available and none was chosen: Sub 0 \(00000000-0000-0000-0000-000000000000\), Sub 1 \(00000001-/);
        assert.match(error.message, /Sub 9 \(00000009-0000-0000-0000-000000000000\), and 2 more\.$/);
        assert.doesNotMatch(error.message, /Sub 10/);
        assert.equal(error.suggestion, 'pass --subscription <id>, or set AZURE_SUBSCRIPTION_ID');
      }),
    );
  });

  it('reports when the identity sees no subscription at all', async () => {
    await assert.rejects(
      resolveSubscription(input({ subscriptions: [] }).value),
      rejectsWith('subscription-none', (error) => {
        assert.match(error.suggestion ?? '', /az login --tenant/);
      }),
    );
  });

  for (const [where, overrides, named] of [
    ['--subscription', { flag: 'My Subscription' }, /"My Subscription" from --subscription/],
    ['the environment', { env: { AZURE_SUBSCRIPTION_ID: 'abc' } }, /"abc" from the environment variable AZURE_SUBSCRIPTION_ID/],
    ['the azd environment', { stored: '1234' }, /"1234" from AZURE_SUBSCRIPTION_ID in the azd environment/],
  ] as const) {
    it(`refuses an id from ${where} that is not a GUID, naming the value and its source`, async () => {
      const { value, listed } = input({ ...overrides, env: { ...configDirs(), ...('env' in overrides ? overrides.env : {}) } });
      await assert.rejects(
        resolveSubscription(value),
        rejectsWith('subscription-invalid', (error) => {
          assert.match(error.message, named);
          assert.match(error.suggestion ?? '', /az account list/);
        }),
      );
      assert.equal(listed(), 0);
    });
  }

  it("refuses an azd default that is not a GUID, naming azd's file", async () => {
    const env = configDirs({ azdDefaultSubscription: 'nope' });
    await assert.rejects(
      resolveSubscription(input({ env }).value),
      rejectsWith('subscription-invalid', (error) => assert.ok(error.message.includes(join(env.AZD_CONFIG_DIR!, 'config.json')))),
    );
  });
});
