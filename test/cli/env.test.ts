import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli-process.js';

describe('aoai-lb env, as azd keeps environments', () => {
  let dir: string;
  const cli = (...args: string[]) => runCli(['env', '--cwd', dir, ...args]);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aoai-lb-env-cli-'));
  });

  it('refuses get-values before any environment exists, saying how to make one (exit 1)', async () => {
    const result = await cli('get-values');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no environment selected/);
    assert.match(result.stderr, /aoai-lb env new <name>/);
  });

  it('creates and selects an environment, sets values as in the Learn article, and prints them like azd', async () => {
    assert.equal((await cli('new', 'lb-dev')).code, 0);
    assert.equal((await cli('set', 'OPENAI_CAPACITY', '50')).code, 0);
    assert.equal((await cli('set', 'AZURE_LOCATION', 'eastus2')).code, 0);
    assert.equal((await cli('set', 'CONTAINER_APP_URL', 'https://lb.example.azurecontainerapps.io')).code, 0);
    const dotenv = await cli('get-values');
    assert.equal(
      dotenv.stdout,
      'AZURE_ENV_NAME="lb-dev"\nAZURE_LOCATION="eastus2"\nCONTAINER_APP_URL="https://lb.example.azurecontainerapps.io"\nOPENAI_CAPACITY=50\n',
    );
    assert.equal(await readFile(join(dir, '.azure/lb-dev/.env'), 'utf8'), dotenv.stdout);
    const json = JSON.parse((await cli('get-values', '--json')).stdout) as Record<string, string>;
    assert.deepEqual(json, {
      AZURE_ENV_NAME: 'lb-dev',
      AZURE_LOCATION: 'eastus2',
      CONTAINER_APP_URL: 'https://lb.example.azurecontainerapps.io',
      OPENAI_CAPACITY: '50',
    });
  });

  it('lists environments with the selected one marked, and selects another', async () => {
    await cli('new', 'lb-prod');
    assert.equal((await cli('list')).stdout, '  lb-dev\n* lb-prod\n');
    assert.equal((await cli('select', 'lb-dev')).code, 0);
    assert.deepEqual(JSON.parse((await cli('list', '--json')).stdout), [
      { name: 'lb-dev', isDefault: true },
      { name: 'lb-prod', isDefault: false },
    ]);
    assert.match((await cli('get-values', '--env', 'lb-prod')).stdout, /^AZURE_ENV_NAME="lb-prod"\n$/);
  });

  it('gives each mistake a clear message and exit code', async () => {
    const badKey = await cli('set', '1X', 'y');
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /"1X" is not a valid variable name/);
    const missing = await cli('select', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /environment "nope" does not exist/);
    const badName = await cli('new', 'has space');
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /not a valid environment name/);
    const exists = await cli('new', 'lb-dev');
    assert.equal(exists.code, 2);
    assert.match(exists.stderr, /already exists/);
  });
});
