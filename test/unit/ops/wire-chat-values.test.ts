import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, UserError } from '../../../src/core/errors.js';
import { balancerFromEnvironment, changesFrom, customUrl, secretKeys, wantedValues, type Balancer } from '../../../src/ops/wire-chat/values.js';
// Masking for display lives with the output, next to the values that mark a change secret.
import { displayed, maskSecret } from '../../../src/ui/wire-chat-output.js';

const key = 'k'.repeat(4) + 'Q7xv'.repeat(9) + 'zzz'; // 43 characters, as the client keys `up` makes
const upWrote = {
  CONTAINER_APP_URL: 'https://lb-dev.example.azurecontainerapps.io',
  CONTAINER_APP_NAME: 'ca-lb-dev',
  AZURE_OPENAI_CHATGPT_DEPLOYMENT: 'chat',
  AZURE_OPENAI_EMB_DEPLOYMENT: 'embedding',
  OPENAI_CHAT_MODEL: 'gpt-5.4-mini:2026-03-17',
  OPENAI_EMBEDDING_MODEL: 'text-embedding-3-large:1',
};
const balancer = (overrides: Partial<Balancer> = {}): Balancer => ({ ...balancerFromEnvironment(upWrote, key, 'dev'), ...overrides });
const withEmbedding = (name: string): Balancer => balancer({ embeddingModel: { name, version: '1' } });

const modelError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof UserError, `a UserError, not ${String(error)}`);
  assert.equal(error.code, 'env-model-invalid');
  assert.equal(error.exitCode, ExitCode.failure);
  assert.match(error.message, pattern);
  assert.equal(error.suggestion, 'run `aoai-lb up --env dev` again, which records the models it deployed');
  return true;
};

describe("the balancer's side, from the environment `up` wrote", () => {
  it('takes the URL, the deployment names and the models (name:version), and the client key as given', () => {
    assert.deepEqual(balancerFromEnvironment(upWrote, key, 'dev'), {
      url: 'https://lb-dev.example.azurecontainerapps.io',
      clientKey: key,
      chatDeployment: 'chat',
      chatModel: { name: 'gpt-5.4-mini', version: '2026-03-17' },
      embeddingDeployment: 'embedding',
      embeddingModel: { name: 'text-embedding-3-large', version: '1' },
    });
  });

  it('keeps a keyless balancer keyless: the client key stays undefined', () => {
    assert.equal(balancerFromEnvironment(upWrote, undefined, 'dev').clientKey, undefined);
  });

  it('drops every trailing slash from the URL', () => {
    assert.equal(balancerFromEnvironment({ ...upWrote, CONTAINER_APP_URL: 'https://lb.example.io///' }, key, 'dev').url, 'https://lb.example.io');
  });

  it('reads custom deployment names, and falls back to chat / embedding when they are unset or empty', () => {
    const custom = balancerFromEnvironment({ ...upWrote, AZURE_OPENAI_CHATGPT_DEPLOYMENT: 'gpt', AZURE_OPENAI_EMB_DEPLOYMENT: 'emb' }, key, 'dev');
    assert.deepEqual([custom.chatDeployment, custom.embeddingDeployment], ['gpt', 'emb']);
    const { AZURE_OPENAI_CHATGPT_DEPLOYMENT: _chat, ...noChat } = upWrote;
    const fallback = balancerFromEnvironment({ ...noChat, AZURE_OPENAI_EMB_DEPLOYMENT: '' }, key, 'dev');
    assert.deepEqual([fallback.chatDeployment, fallback.embeddingDeployment], ['chat', 'embedding']);
  });

  it('refuses a missing model, naming the variable and the environment, with `up` as the fix (exit 1)', () => {
    const { OPENAI_CHAT_MODEL: _chat, ...noChat } = upWrote;
    assert.throws(
      () => balancerFromEnvironment(noChat, key, 'dev'),
      modelError(/^OPENAI_CHAT_MODEL in environment "dev" is missing; expected name:version\.$/),
    );
    assert.throws(
      () => balancerFromEnvironment({ ...upWrote, OPENAI_EMBEDDING_MODEL: '' }, key, 'dev'),
      modelError(/^OPENAI_EMBEDDING_MODEL in environment "dev" is missing;/),
    );
  });

  it('refuses a model that is not exactly name:version, quoting it', () => {
    for (const bad of ['gpt-4o', 'gpt-4o:', ':2024-08-06', 'a:b:c', 'gpt 4o:1', 'gpt-4o: 1']) {
      assert.throws(
        () => balancerFromEnvironment({ ...upWrote, OPENAI_EMBEDDING_MODEL: bad }, key, 'dev'),
        modelError(new RegExp(`^OPENAI_EMBEDDING_MODEL in environment "dev" is "${bad}"; expected name:version\\.$`)),
      );
    }
  });
});

describe('AZURE_OPENAI_CUSTOM_URL by chat-app generation', () => {
  it('is the bare balancer URL for 2024 (AsyncAzureOpenAI appends /openai itself) and ends in /openai/v1 for 2025', () => {
    assert.equal(customUrl('https://lb.example.io', '2024'), 'https://lb.example.io');
    assert.equal(customUrl('https://lb.example.io', '2025'), 'https://lb.example.io/openai/v1');
  });
});

describe('the values wire-chat sets in the chat environment', () => {
  it('sets the host, the URL, the key, the deployments, the models and their versions', () => {
    assert.deepEqual(wantedValues(balancer(), '2025', {}), {
      OPENAI_HOST: 'azure_custom',
      AZURE_OPENAI_CUSTOM_URL: 'https://lb-dev.example.azurecontainerapps.io/openai/v1',
      AZURE_OPENAI_API_KEY_OVERRIDE: key,
      AZURE_OPENAI_CHATGPT_DEPLOYMENT: 'chat',
      AZURE_OPENAI_CHATGPT_MODEL: 'gpt-5.4-mini',
      AZURE_OPENAI_CHATGPT_DEPLOYMENT_VERSION: '2026-03-17',
      AZURE_OPENAI_EMB_DEPLOYMENT: 'embedding',
      AZURE_OPENAI_EMB_MODEL_NAME: 'text-embedding-3-large',
      AZURE_OPENAI_EMB_DEPLOYMENT_VERSION: '1',
      AZURE_OPENAI_EMB_DIMENSIONS: '3072',
    });
    assert.equal(wantedValues(balancer(), '2024', {}).AZURE_OPENAI_CUSTOM_URL, 'https://lb-dev.example.azurecontainerapps.io');
  });

  it('replaces an existing key with the balancer client key', () => {
    assert.equal(wantedValues(balancer(), '2025', { AZURE_OPENAI_API_KEY_OVERRIDE: 'an-old-key-of-another-proxy' }).AZURE_OPENAI_API_KEY_OVERRIDE, key);
  });

  it('keyless: sets no key when the chat environment has none', () => {
    assert.ok(!('AZURE_OPENAI_API_KEY_OVERRIDE' in wantedValues(balancer({ clientKey: undefined }), '2025', {})));
  });

  it('keyless: empties a key the chat environment had, so the chat app uses its token provider', () => {
    assert.equal(wantedValues(balancer({ clientKey: undefined }), '2024', { AZURE_OPENAI_API_KEY_OVERRIDE: 'old-key' }).AZURE_OPENAI_API_KEY_OVERRIDE, '');
  });

  it('keyless: leaves an already empty key alone', () => {
    assert.ok(!('AZURE_OPENAI_API_KEY_OVERRIDE' in wantedValues(balancer({ clientKey: undefined }), '2025', { AZURE_OPENAI_API_KEY_OVERRIDE: '' })));
  });

  it("keeps embedding dimensions the model can produce, else uses the model's own (v3 up to their max, ada-002 exactly 1536)", () => {
    const cases: Array<[model: string, current: string | undefined, wanted: string]> = [
      ['text-embedding-3-large', undefined, '3072'],
      ['text-embedding-3-large', '1024', '1024'],
      ['text-embedding-3-large', '1536', '1536'],
      ['text-embedding-3-large', '3072', '3072'],
      ['text-embedding-3-large', '3073', '3072'],
      ['text-embedding-3-small', undefined, '1536'],
      ['text-embedding-3-small', '512', '512'],
      ['text-embedding-3-small', '3072', '1536'],
      ['text-embedding-ada-002', undefined, '1536'],
      ['text-embedding-ada-002', '1536', '1536'],
      ['text-embedding-ada-002', '1024', '1536'],
    ];
    for (const [model, current, expected] of cases) {
      const values: Record<string, string> = current === undefined ? {} : { AZURE_OPENAI_EMB_DIMENSIONS: current };
      assert.equal(wantedValues(withEmbedding(model), '2025', values).AZURE_OPENAI_EMB_DIMENSIONS, expected, `${model} with ${current}`);
    }
  });

  it("replaces dimensions that are not a positive whole number with the model's own", () => {
    for (const current of ['', '0', '-1', '1024.0', ' 1024', '1e3', 'auto']) {
      assert.equal(wantedValues(balancer(), '2025', { AZURE_OPENAI_EMB_DIMENSIONS: current }).AZURE_OPENAI_EMB_DIMENSIONS, '3072', JSON.stringify(current));
    }
  });

  it('leaves the dimensions alone for an embedding model it does not know', () => {
    assert.ok(!('AZURE_OPENAI_EMB_DIMENSIONS' in wantedValues(withEmbedding('my-embedder'), '2025', {})));
    assert.ok(!('AZURE_OPENAI_EMB_DIMENSIONS' in wantedValues(withEmbedding('my-embedder'), '2025', { AZURE_OPENAI_EMB_DIMENSIONS: '99999' })));
  });
});

describe('what changes', () => {
  it('lists each differing or absent key with its old value, in the order wanted, and the rest as unchanged', () => {
    const current = { OPENAI_HOST: 'azure', AZURE_OPENAI_CHATGPT_DEPLOYMENT: 'chat', AZURE_ENV_NAME: 'chat-dev' };
    const wanted = { OPENAI_HOST: 'azure_custom', AZURE_OPENAI_CUSTOM_URL: 'https://lb.example.io', AZURE_OPENAI_CHATGPT_DEPLOYMENT: 'chat' };
    assert.deepEqual(changesFrom(current, wanted), {
      changes: [
        { key: 'OPENAI_HOST', old: 'azure', new: 'azure_custom', secret: false },
        { key: 'AZURE_OPENAI_CUSTOM_URL', old: undefined, new: 'https://lb.example.io', secret: false },
      ],
      unchanged: ['AZURE_OPENAI_CHATGPT_DEPLOYMENT'],
    });
  });

  it('marks the client key change as secret, and counts an empty value as different from an absent one', () => {
    assert.deepEqual(changesFrom({}, { AZURE_OPENAI_API_KEY_OVERRIDE: '' }).changes, [
      { key: 'AZURE_OPENAI_API_KEY_OVERRIDE', old: undefined, new: '', secret: true },
    ]);
    assert.deepEqual(secretKeys, new Set(['AZURE_OPENAI_API_KEY_OVERRIDE']));
  });

  it('a second run changes nothing, keyed or keyless', () => {
    for (const [b, start] of [
      [balancer(), { AZURE_OPENAI_EMB_DIMENSIONS: '1024', OPENAI_HOST: 'azure' }],
      [balancer({ clientKey: undefined }), { AZURE_OPENAI_API_KEY_OVERRIDE: 'old-key' }],
    ] as const) {
      const first = changesFrom(start, wantedValues(b, '2025', start));
      assert.ok(first.changes.length > 0);
      const after = { ...start, ...Object.fromEntries(first.changes.map((c) => [c.key, c.new])) };
      const second = changesFrom(after, wantedValues(b, '2025', after));
      assert.deepEqual(second.changes, []);
      assert.deepEqual(second.unchanged.sort(), Object.keys(wantedValues(b, '2025', after)).sort());
    }
  });
});

describe('what the user sees of a change', () => {
  const change = (key: string, old: string | undefined, value: string, secret: boolean) => ({ key, old, new: value, secret });

  it('masks a secret as its first 4 characters and its length, never more', () => {
    assert.equal(maskSecret(key), 'kkkk…(43 chars)');
    assert.equal(maskSecret('0123456789abcdef'), '0123…(16 chars)');
  });

  it('shows a secret shorter than 16 characters as ****', () => {
    assert.equal(maskSecret('0123456789abcde'), '****');
    assert.equal(maskSecret('x'), '****');
  });

  it('masks a secret change on both sides, shows absent as (unset) and empty as (empty)', () => {
    const k = 'AZURE_OPENAI_API_KEY_OVERRIDE';
    assert.deepEqual(displayed(change(k, undefined, key, true)), { key: k, old: '(unset)', new: 'kkkk…(43 chars)' });
    assert.deepEqual(displayed(change(k, key, '', true)), { key: k, old: 'kkkk…(43 chars)', new: '(empty)' });
    assert.equal(displayed(change(k, 'short', key, true)).old, '****');
  });

  it('shows other values as they are, however long', () => {
    const url = 'https://lb-dev.example.azurecontainerapps.io/openai/v1';
    assert.deepEqual(displayed(change('AZURE_OPENAI_CUSTOM_URL', '', url, false)), { key: 'AZURE_OPENAI_CUSTOM_URL', old: '(empty)', new: url });
    assert.deepEqual(displayed(change('OPENAI_HOST', undefined, 'azure_custom', false)), { key: 'OPENAI_HOST', old: '(unset)', new: 'azure_custom' });
  });

  it('a whole wiring, old key and new, never shows either key beyond its first 4 characters', () => {
    const oldKey = 'OLDK' + 'secret-of-the-previous-proxy';
    const shown = changesFrom(
      { AZURE_OPENAI_API_KEY_OVERRIDE: oldKey },
      wantedValues(balancer(), '2025', { AZURE_OPENAI_API_KEY_OVERRIDE: oldKey }),
    ).changes.map(displayed);
    assert.deepEqual(
      shown.find((c) => c.key === 'AZURE_OPENAI_API_KEY_OVERRIDE'),
      { key: 'AZURE_OPENAI_API_KEY_OVERRIDE', old: 'OLDK…(32 chars)', new: 'kkkk…(43 chars)' },
    );
    const text = JSON.stringify(shown);
    assert.ok(!text.includes(key.slice(4, 12)) && !text.includes(oldKey.slice(4, 12)), text);
  });
});
