// The real balancer template built by the twin's ACR Tasks: packed like azd (its .dockerignore honoured,
// node_modules and dist left out), uploaded, scheduleRun, polled to Succeeded. Its `RUN npm ci` reaches the
// npm registry. The stored image holds dist/main.js and the production node_modules only.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import type { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { packContext } from '../providers/build/archive.js';
import { blobRequest, remoteBuild } from '../providers/registry-client.js';
import { fastPoll, sdkOptions, staticCredential } from '../sdk.js';

const BALANCER = new URL('../../../templates/balancer/', import.meta.url).pathname;

describe('twin: ACR Tasks builds the balancer template', { timeout: 15 * 60_000 }, () => {
  let twin: Twin;
  let acr: ContainerRegistryManagementClient;
  let agent: Agent;
  before(async () => {
    twin = await startTwin();
    const options = sdkOptions(twin);
    agent = options.agent;
    acr = new ContainerRegistryManagementClient(staticCredential, twin.subscriptionId, options);
    await new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin)).resourceGroups.createOrUpdate('rg-lb', { location: 'eastus2' });
    await acr.registries.beginCreateAndWait('rg-lb', 'acrbalancer1', { location: 'eastus2', sku: { name: 'Basic' }, adminUserEnabled: false }, fastPoll);
  });
  after(async () => {
    await twin.close();
    agent.destroy();
  });

  it('packs templates/balancer, builds it remotely (npm ci, tsc, prune) and stores the runnable image', async () => {
    const context = await packContext(BALANCER, { exclude: ['node_modules', 'dist'] });
    const { run, logLink } = await remoteBuild(acr, agent, 'rg-lb', 'acrbalancer1', context, ['acrbalancer1.azurecr.io/aoai-lb:t1'], 200);
    const log = (await blobRequest(agent, 'GET', logLink)).body.toString('utf8');
    assert.equal(run.status, 'Succeeded', log.slice(-4000));
    assert.match(log, /Step \d+\/\d+ : RUN npm ci --no-audit --no-fund/);
    assert.match(log, /Step \d+\/\d+ : ENTRYPOINT \["node", "dist\/main\.js"\]/);
    const image = twin.images.get('acrbalancer1.azurecr.io/aoai-lb:t1')!;
    assert.equal(image.workdir, '/app');
    assert.deepEqual(image.entrypoint, ['node', 'dist/main.js']);
    assert.equal(image.env.NODE_ENV, 'production');
    assert.equal(image.env.PORT, '8080');
    assert.deepEqual(image.exposedPorts, ['8080/tcp']);
    assert.equal(image.user, '65532:65532');
    const app = join(image.rootDir, 'app');
    await access(join(app, 'dist', 'main.js'));
    const pkg = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    for (const dev of Object.keys(pkg.devDependencies ?? {})) {
      await assert.rejects(access(join(app, 'node_modules', dev)), `dev dependency ${dev} pruned`);
    }
    await assert.rejects(access(join(app, 'src')), 'the run stage has no sources');
  });
});
