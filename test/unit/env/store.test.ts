import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors.js';
import { resolveEnvironment } from '../../../src/env/resolve.js';
import { EnvStore } from '../../../src/env/store.js';

async function project(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aoai-lb-env-'));
}

test('create writes AZURE_ENV_NAME, .gitignore and keeps config.json as azd does', async () => {
  const dir = await project();
  const store = new EnvStore(dir);
  await store.create('dev', { AZURE_LOCATION: 'eastus' });
  await store.setDefaultEnvironment('dev');
  assert.equal(await readFile(join(dir, '.azure/dev/.env'), 'utf8'), 'AZURE_ENV_NAME="dev"\nAZURE_LOCATION="eastus"\n');
  assert.equal(await readFile(join(dir, '.azure/config.json'), 'utf8'), '{"version":1,"defaultEnvironment":"dev"}');
  assert.equal(await readFile(join(dir, '.azure/.gitignore'), 'utf8'), '# .azure is not intended to be committed\n*');
});

test('update sets and removes keys and leaves the others as they were', async () => {
  const dir = await project();
  await mkdir(join(dir, '.azure/prod'), { recursive: true });
  await writeFile(join(dir, '.azure/prod/.env'), 'AZURE_ENV_NAME="prod"\nKEEP="x y"\nOLD="1"\n');
  const store = new EnvStore(dir);
  await store.update('prod', { OPENAI_CAPACITY: '50', OLD: undefined });
  assert.equal(await readFile(join(dir, '.azure/prod/.env'), 'utf8'), 'AZURE_ENV_NAME="prod"\nKEEP="x y"\nOPENAI_CAPACITY=50\n');
});

test('config.json keeps fields azd wrote that we do not know', async () => {
  const dir = await project();
  await mkdir(join(dir, '.azure'), { recursive: true });
  await writeFile(join(dir, '.azure/config.json'), '{"version":1,"defaultEnvironment":"a","copilotSession":"s"}');
  await new EnvStore(dir).setDefaultEnvironment('b');
  assert.equal(await readFile(join(dir, '.azure/config.json'), 'utf8'), '{"version":1,"defaultEnvironment":"b","copilotSession":"s"}');
});

test('resolveEnvironment: --env, else the default, else a clear error; names are validated', async () => {
  const dir = await project();
  await assert.rejects(resolveEnvironment(dir, undefined), (error: unknown) => error instanceof UserError && error.code === 'env-not-selected');
  const store = new EnvStore(dir);
  await store.create('dev');
  await assert.rejects(resolveEnvironment(dir, undefined), /no environment selected/);
  await store.setDefaultEnvironment('dev');
  assert.equal((await resolveEnvironment(dir, undefined)).name, 'dev');
  await assert.rejects(resolveEnvironment(dir, 'other'), (error: unknown) => error instanceof UserError && error.code === 'env-not-found');
  await assert.rejects(resolveEnvironment(dir, 'bad name!'), (error: unknown) => error instanceof UserError && error.code === 'env-name-invalid');
});

test('a hand-broken .env is reported with its file and line', async () => {
  const dir = await project();
  await mkdir(join(dir, '.azure/dev'), { recursive: true });
  await writeFile(join(dir, '.azure/dev/.env'), 'A=1\nthis is wrong\n');
  await assert.rejects(new EnvStore(dir).read('dev'), /\.azure\/dev\/\.env cannot be read: line 2/);
});
