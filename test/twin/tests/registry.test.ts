// ACR on the twin through the real ContainerRegistryManagementClient (11.0.0): registry create (LRO, the
// RegistryCreate.json shape), and the remote build azd does (reference §3): listBuildSourceUploadUrl → a
// plain https PUT of the tar.gz → scheduleRun → runs.get until terminal → listLogSasUrl → the log blob with
// `x-ms-meta-Complete`. The twin really builds the Dockerfile and stores the image.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { packContext } from '../providers/build/archive.js';
import { blobRequest, remoteBuild } from '../providers/registry-client.js';
import { fastPoll, rawRequest, sdkOptions, staticCredential } from '../sdk.js';

const FIXTURES = '/work/shared/azure-fixtures/specs-examples/Microsoft.ContainerRegistry';
const createExample = JSON.parse(await readFile(`${FIXTURES}/RegistryCreate.json`, 'utf8')) as {
  responses: { '201': { body: Record<string, Record<string, unknown>> } };
};

describe('twin: Container Registry and ACR Tasks remote build', () => {
  let twin: Twin;
  let acr: ContainerRegistryManagementClient;
  let agent: Agent;
  let tmp: string;
  before(async () => {
    twin = await startTwin();
    const options = sdkOptions(twin);
    agent = options.agent;
    acr = new ContainerRegistryManagementClient(staticCredential, twin.subscriptionId, options);
    await new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin)).resourceGroups.createOrUpdate('rg-acr', {
      location: 'eastus2',
    });
    await acr.registries.beginCreateAndWait('rg-acr', 'acrtwin01', { location: 'eastus2', sku: { name: 'Basic' }, adminUserEnabled: false }, fastPoll);
    tmp = await mkdtemp(join(tmpdir(), 'twin-acr-test-'));
  });
  after(async () => {
    await twin.close();
    agent.destroy();
    await rm(tmp, { recursive: true, force: true });
  });

  it('creates a registry: 201 Creating + Azure-AsyncOperation, final Succeeded, RegistryCreate.json keys, name taken', async () => {
    const raw = await rawRequest(
      twin,
      'PUT',
      `/subscriptions/${twin.subscriptionId}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/acrraw01?api-version=2025-11-01`,
      { body: { location: 'eastus2', sku: { name: 'Basic' }, properties: { adminUserEnabled: false } } },
    );
    assert.equal(raw.status, 201);
    assert.ok(String(raw.headers['azure-asyncoperation']).startsWith(`${twin.url}/subscriptions/`));
    const body = raw.json() as Record<string, Record<string, unknown>>;
    for (const k of Object.keys(createExample.responses['201'].body)) assert.ok(k in body, `body has ${k}`);
    for (const k of Object.keys(createExample.responses['201'].body.properties!).filter(
      (k) => !['status', 'networkRuleSet', 'networkRuleBypassAllowedForTasks', 'roleAssignmentMode'].includes(k),
    )) {
      assert.ok(k in body.properties!, `properties has ${k}`);
    }
    assert.equal(body.properties!.provisioningState, 'Creating');
    const reg = await acr.registries.get('rg-acr', 'acrtwin01');
    assert.equal(reg.provisioningState, 'Succeeded');
    assert.equal(reg.loginServer, 'acrtwin01.azurecr.io');
    assert.equal(reg.adminUserEnabled, false);
    assert.equal(reg.sku.name, 'Basic');
    const taken = await acr.registries.checkNameAvailability({ name: 'acrtwin01', type: 'Microsoft.ContainerRegistry/registries' });
    assert.equal(taken.nameAvailable, false);
    assert.equal((await acr.registries.checkNameAvailability({ name: 'acrfree99', type: 'Microsoft.ContainerRegistry/registries' })).nameAvailable, true);
    await acr.registries.beginDeleteAndWait('rg-acr', 'acrraw01', fastPoll);
    await assert.rejects(acr.registries.get('rg-acr', 'acrraw01'), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  it('builds a two-stage Dockerfile remotely: run Succeeded, the log blob has the steps and x-ms-meta-Complete, the image is stored', async () => {
    const project = join(tmp, 'app');
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(join(project, 'src', 'main.js'), 'console.log("hello from the twin");\n');
    await writeFile(join(project, 'package.json'), '{"name":"tiny","version":"1.0.0"}\n');
    await writeFile(join(project, 'secret.log'), 'must not be packed\n');
    await writeFile(join(project, '.dockerignore'), '*.log\n');
    await writeFile(
      join(project, 'Dockerfile'),
      [
        '# a tiny two-stage build',
        'FROM node:20 AS build',
        'WORKDIR /src',
        'COPY package.json ./',
        'COPY src ./src',
        'RUN echo "building" && mkdir -p out && \\',
        '    cp src/main.js out/main.js',
        'RUN ["node", "-e", "require(\'fs\').writeFileSync(\'out/built.txt\', process.env.GREETING || \'none\')"]',
        'ENV GREETING=hi',
        "RUN node -e \"require('fs').writeFileSync('out/env.txt', process.env.GREETING)\"",
        '',
        'FROM node:20-slim',
        'WORKDIR /app',
        'ENV NODE_ENV=production PORT=8080',
        'COPY --from=build /src/out ./',
        'COPY --from=build /src/package.json ./package.json',
        'USER 1000',
        'EXPOSE 8080',
        'CMD ["node", "main.js"]',
      ].join('\n'),
    );
    const { run, logLink } = await remoteBuild(acr, agent, 'rg-acr', 'acrtwin01', await packContext(project), ['acrtwin01.azurecr.io/tiny/app:v1']);
    assert.equal(twin.requests.find((r) => r.operationId === 'Registries_ScheduleRun')?.status, 200);
    assert.equal(run.status, 'Succeeded', run.runErrorMessage);
    assert.match(run.runId!, /^ca\w+$/);
    assert.equal(run.runType, 'QuickRun');
    assert.deepEqual(
      run.outputImages?.map((i) => [i.registry, i.repository, i.tag]),
      [['acrtwin01.azurecr.io', 'tiny/app', 'v1']],
    );
    assert.match(run.outputImages![0]!.digest!, /^sha256:[0-9a-f]{64}$/);

    const head = await blobRequest(agent, 'HEAD', logLink);
    assert.equal(head.status, 200);
    assert.equal(head.headers['x-ms-meta-complete'], 'successful');
    assert.equal(head.headers['x-ms-blob-type'], 'AppendBlob');
    const size = Number(head.headers['content-length']);
    const part = await blobRequest(agent, 'GET', logLink, { 'x-ms-range': `bytes=0-${size - 1}` });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 0-${size - 1}/${size}`);
    const log = part.body.toString('utf8');
    assert.match(log, /Downloading source code\.\.\./);
    assert.match(log, /Step 1\/16 : FROM node:20 AS build/);
    assert.match(log, /Step 5\/16 : RUN echo "building" && mkdir -p out && {5}cp src\/main\.js out\/main\.js\n ---> Running in [0-9a-f]+\nbuilding\n/);
    assert.match(log, /Step 9\/16 : FROM node:20-slim/);
    assert.match(log, /Step 16\/16 : CMD \["node", "main\.js"\]/);
    assert.match(log, /Successfully tagged acrtwin01\.azurecr\.io\/tiny\/app:v1/);
    assert.match(log, /Run ID: ca\w+ was successful after \d+s/);

    const image = twin.images.get('acrtwin01.azurecr.io/tiny/app:v1')!;
    assert.ok(image, 'image stored under its name');
    assert.equal(image.workdir, '/app');
    assert.deepEqual(image.env, { NODE_ENV: 'production', PORT: '8080' });
    assert.deepEqual(image.cmd, ['node', 'main.js']);
    assert.deepEqual(image.entrypoint, []);
    assert.deepEqual(image.exposedPorts, ['8080/tcp']);
    assert.equal(image.user, '1000');
    const app = join(image.rootDir, image.workdir);
    assert.equal(await readFile(join(app, 'main.js'), 'utf8'), 'console.log("hello from the twin");\n');
    assert.equal(await readFile(join(app, 'built.txt'), 'utf8'), 'none', 'ENV applies only after it is set');
    assert.equal(await readFile(join(app, 'env.txt'), 'utf8'), 'hi');
    assert.equal(JSON.parse(await readFile(join(app, 'package.json'), 'utf8')).name, 'tiny');
    await assert.rejects(readFile(join(image.rootDir, 'src', 'secret.log')), 'the .dockerignore kept secret.log out');
  });

  it('a failing RUN fails the run with the command output in the log and x-ms-meta-Complete: failed', async () => {
    const project = join(tmp, 'bad');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'Dockerfile'), 'FROM alpine\nRUN echo "about to fail" && echo "oops on stderr" >&2 && exit 3\nCMD ["true"]\n');
    const { run, logLink } = await remoteBuild(acr, agent, 'rg-acr', 'acrtwin01', await packContext(project), ['bad:v1']);
    assert.equal(run.status, 'Failed');
    const log = (await blobRequest(agent, 'GET', logLink)).body.toString('utf8');
    assert.match(log, /about to fail/);
    assert.match(log, /oops on stderr/);
    assert.match(log, /The command '\/bin\/sh -c echo "about to fail" && echo "oops on stderr" >&2 && exit 3' returned a non-zero code: 3/);
    assert.match(log, /Run ID: ca\w+ failed after \d+s/);
    assert.equal((await blobRequest(agent, 'HEAD', logLink)).headers['x-ms-meta-complete'], 'failed');
    assert.equal(twin.images.get('acrtwin01.azurecr.io/bad:v1'), undefined);
  });

  it('faults by operationId: an lroFailed fault on Registries_ScheduleRun fails the run; a throttle is retried by the SDK', async () => {
    const project = join(tmp, 'fault');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'Dockerfile'), 'FROM alpine\nCMD ["true"]\n');
    twin.faults.inject('Registries_ScheduleRun', { kind: 'lroFailed', code: 'InternalServerError', message: 'agent lost' });
    twin.faults.inject('Runs_Get', { kind: 'throttle', times: 1 });
    const { run, logLink } = await remoteBuild(acr, agent, 'rg-acr', 'acrtwin01', await packContext(project), ['fault:v1']);
    assert.equal(run.status, 'Failed');
    assert.match(run.runErrorMessage ?? '', /agent lost/);
    assert.equal((await blobRequest(agent, 'HEAD', logLink)).headers['x-ms-meta-complete'], 'failed');
    assert.equal(twin.faults.fired.get('Runs_Get'), 1);
  });

  it('the blob endpoint wants its SAS: a tampered signature → 403, an unknown blob → 404 BlobNotFound', async () => {
    const upload = await acr.registries.getBuildSourceUploadUrl('rg-acr', 'acrtwin01');
    const tampered = upload.uploadUrl!.replace(/sig=[^&]+/, 'sig=forged');
    assert.equal((await blobRequest(agent, 'PUT', tampered, { 'x-ms-blob-type': 'BlockBlob' }, Buffer.from('x'))).status, 403);
    const head = await blobRequest(agent, 'HEAD', upload.uploadUrl!);
    assert.equal(head.status, 403, 'an upload SAS (sp=cw) cannot read');
  });

  it('a free-trial subscription: scheduleRun → 400 TasksOperationsNotAllowed (reference message, target request)', async () => {
    const trial = await startTwin({ acrTasksNotAllowed: true });
    try {
      const client = new ContainerRegistryManagementClient(staticCredential, trial.subscriptionId, sdkOptions(trial));
      await new ResourceManagementClient(staticCredential, trial.subscriptionId, sdkOptions(trial)).resourceGroups.createOrUpdate('rg', { location: 'eastus' });
      await client.registries.beginCreateAndWait('rg', 'acrtrial1', { location: 'eastus', sku: { name: 'Basic' } }, fastPoll);
      await assert.rejects(
        client.registries.beginScheduleRunAndWait(
          'rg',
          'acrtrial1',
          {
            type: 'DockerBuildRequest',
            dockerFilePath: 'Dockerfile',
            sourceLocation: 'tasks-source/x.tar.gz',
            platform: { os: 'Linux' },
          },
          fastPoll,
        ),
        (e: { statusCode?: number; code?: string; message?: string }) =>
          e.statusCode === 400 &&
          e.code === 'TasksOperationsNotAllowed' &&
          e.message ===
            `ACR Tasks requests for the registry acrtrial1 and ${trial.subscriptionId} are not permitted. Please file an Azure support request at http://aka.ms/azuresupport for assistance.`,
      );
    } finally {
      await trial.close();
    }
  });
});
