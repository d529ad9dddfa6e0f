import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import { containerCpus, shownStoreUrl } from '../src/shared-state/config.js';
import { parseCooldownEvent } from '../src/shared-state/keys.js';

const minimal: Env = { BACKEND_1_URL: 'https://one.openai.azure.com/', CLIENT_API_KEYS: 'secret' };

function problems(env: Env): string[] {
  try {
    loadConfig({ ...minimal, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

describe('SHARED_STATE_* and WORKERS', () => {
  it('without SHARED_STATE_URL nothing is shared and one worker serves', () => {
    const config = loadConfig(minimal);
    assert.equal(config.sharedState, undefined);
    assert.equal(config.workers, 1);
  });

  it('reads the store, the prefix and the refresh interval; workers default to the CPUs', () => {
    const config = loadConfig({ ...minimal, SHARED_STATE_URL: 'redis://127.0.0.1:6379', SHARED_STATE_PREFIX: 'team-a', SHARED_STATE_REFRESH_MS: '250' });
    assert.equal(config.sharedState?.url.href, 'redis://127.0.0.1:6379');
    assert.equal(config.sharedState?.auth, 'url');
    assert.equal(config.sharedState?.prefix, 'team-a');
    assert.equal(config.sharedState?.refreshMs, 250);
    assert.equal(config.workers, containerCpus());
    assert.ok(config.workers >= 1);
  });

  it('Entra ID: SHARED_STATE_AUTH=entra with the object id as the username', () => {
    const config = loadConfig({
      ...minimal,
      SHARED_STATE_URL: 'rediss://cache.westus.redis.azure.net:10000',
      SHARED_STATE_AUTH: 'Entra',
      SHARED_STATE_USERNAME: '00000000-0000-0000-0000-000000000001',
      WORKERS: '2',
    });
    assert.equal(config.sharedState?.auth, 'entra');
    assert.equal(config.sharedState?.username, '00000000-0000-0000-0000-000000000001');
    assert.equal(config.workers, 2);
  });

  it('reads the URL (which may hold the key) from SHARED_STATE_URL_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aoai-lb-shared-'));
    try {
      const file = join(dir, 'url');
      writeFileSync(file, 'rediss://:the-key@cache:6380/2\n');
      const config = loadConfig({ ...minimal, SHARED_STATE_URL_FILE: file });
      assert.equal(config.sharedState?.url.password, 'the-key');
      assert.equal(shownStoreUrl(config.sharedState!.url), 'rediss://cache:6380/2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each bad setting is named, and a key in the URL is never echoed', () => {
    const cases: [Env, RegExp][] = [
      [{ SHARED_STATE_URL: 'http://:hunter2@cache:6379' }, /^SHARED_STATE_URL: must start with redis:\/\/ or rediss:\/\//],
      [{ SHARED_STATE_URL: 'not a url hunter2' }, /^SHARED_STATE_URL: is not a URL/],
      [{ SHARED_STATE_URL: 'redis://cache:6379/keys' }, /^SHARED_STATE_URL: the path "\/keys" is not a database number/],
      [{ SHARED_STATE_URL: 'redis://cache', SHARED_STATE_AUTH: 'password' }, /^SHARED_STATE_AUTH: "password" is not one of url, entra\./],
      [{ SHARED_STATE_URL: 'rediss://:hunter2@cache', SHARED_STATE_AUTH: 'entra' }, /^SHARED_STATE_URL: carries a user or key, but SHARED_STATE_AUTH=entra/],
      [{ SHARED_STATE_URL: 'redis://cache', SHARED_STATE_USERNAME: 'oid' }, /^SHARED_STATE_USERNAME: only used with SHARED_STATE_AUTH=entra/],
      [{ SHARED_STATE_URL: 'redis://cache', SHARED_STATE_PREFIX: 'a b' }, /^SHARED_STATE_PREFIX: "a b" must be 1 to 64/],
      [{ SHARED_STATE_URL: 'redis://cache', SHARED_STATE_REFRESH_MS: '5' }, /^SHARED_STATE_REFRESH_MS: "5" is not a whole number from 10 to 10000/],
      [{ SHARED_STATE_AUTH: 'entra' }, /^SHARED_STATE_AUTH: set, but SHARED_STATE_URL is not/],
      [{ WORKERS: '4' }, /^WORKERS: 4 workers without SHARED_STATE_URL would each learn quota on their own/],
      [{ SHARED_STATE_URL: 'redis://cache', WORKERS: '0' }, /^WORKERS: "0" is not a whole number from 1 to 64\./],
    ];
    for (const [env, expected] of cases) {
      const found = problems(env);
      assert.equal(found.length, 1, `${JSON.stringify(env)}: ${found.join(' | ')}`);
      assert.match(found[0]!, expected);
      assert.ok(!found[0]!.includes('hunter2'), found[0]);
    }
  });
});

describe('containerCpus', () => {
  it("reads the cgroup's quota, else what Node sees", () => {
    const dir = mkdtempSync(join(tmpdir(), 'aoai-lb-cpu-'));
    try {
      const file = join(dir, 'cpu.max');
      writeFileSync(file, '150000 100000\n');
      assert.equal(containerCpus(file), Math.min(2, containerCpus(join(dir, 'none'))));
      writeFileSync(file, 'max 100000\n');
      assert.equal(containerCpus(file), containerCpus(join(dir, 'none')));
      writeFileSync(file, '50000 100000\n');
      assert.equal(containerCpus(file), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cooldown events on the channel', () => {
  it('takes well-formed events only', () => {
    assert.deepEqual(parseCooldownEvent('{"r":"a","b":"t","d":"chat","k":"throttled","u":5}'), { r: 'a', b: 't', d: 'chat', k: 'throttled', u: 5 });
    assert.deepEqual(parseCooldownEvent('{"r":"a","b":"t","k":"broken","u":5}'), { r: 'a', b: 't', k: 'broken', u: 5 });
    for (const text of [
      '',
      'null',
      '[]',
      '{"r":"a","b":"t","k":"gone","u":5}',
      '{"r":"a","b":"t","k":"broken","u":"5"}',
      `{"r":"a","b":"t","d":"${'x'.repeat(300)}","k":"broken","u":5}`,
    ]) {
      assert.equal(parseCooldownEvent(text), undefined, text);
    }
  });
});
