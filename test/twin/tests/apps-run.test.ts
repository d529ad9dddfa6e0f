// Container apps run by the twin (startTwin({ runApps: true })): the balancer template, built by the twin's
// ACR Tasks, runs as a local process with the app's environment, the managed-identity endpoint of its
// user-assigned identity and its secrets; clients reach https://{fqdn} through twin.proxyUrl; the log stream
// answers with getAuthToken's token; revisions, deletes and close() stop the processes. Needs the built CLI
// (the accounts' simulators) and reaches the npm registry once (the image's `npm ci`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ContainerAppsAPIClient, type ContainerApp } from '@azure/arm-appcontainers';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ManagedServiceIdentityClient, type Identity } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { AzureOpenAI } from 'openai';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { startTwin, type Twin } from '../index.js';
import { packContext } from '../providers/build/archive.js';
import { blobRequest, remoteBuild } from '../providers/registry-client.js';
import { ROLES } from '../providers/roles.js';
import { fastPoll, sdkOptions, staticCredential } from '../sdk.js';
import { waitFor } from '../../helpers/wait.js';

const BALANCER = new URL('../../../templates/balancer/', import.meta.url).pathname;
const RG = 'rg-apps';
const LOCATION = 'eastus2';
const IMAGE = 'acrapps1.azurecr.io/aoai-lb:v1';
const CLIENT_KEY = 'client-key-0123456789';
const run = promisify(execFile);
type ClientOptions = NonNullable<ConstructorParameters<typeof AzureOpenAI>[0]>;

const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('twin: container apps run as local processes behind their FQDN, with the log stream', { timeout: 15 * 60_000 }, () => {
  let twin: Twin;
  let closed = false;
  let blobAgent: HttpsAgent;
  let proxy: ProxyAgent;
  let aca: ContainerAppsAPIClient;
  let authz: AuthorizationManagementClient;
  let identity: Identity;
  let envId: string;
  let endpoint: string;
  let app: ContainerApp;
  const roleAssignment = randomUUID();
  let accountId: string;

  const get = (url: string, headers: Record<string, string> = {}) => undiciFetch(url, { headers, dispatcher: proxy });
  const openai = () =>
    new AzureOpenAI({
      endpoint: `https://${app.configuration!.ingress!.fqdn!}`,
      apiKey: CLIENT_KEY,
      apiVersion: '2024-10-21',
      maxRetries: 0,
      fetch: undiciFetch as unknown as ClientOptions['fetch'],
      fetchOptions: { dispatcher: proxy } as unknown as ClientOptions['fetchOptions'],
    });
  const chat = () => openai().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
  const balancerApp = (name: string, image: string, extraEnv: { name: string; value: string }[] = []): ContainerApp => ({
    location: LOCATION,
    managedEnvironmentId: envId,
    identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id!]: {} } },
    configuration: {
      activeRevisionsMode: 'Single',
      ingress: { external: true, targetPort: 8080, transport: 'auto' },
      secrets: [{ name: 'client-keys', value: CLIENT_KEY }],
      registries: [{ server: 'acrapps1.azurecr.io', identity: identity.id! }],
    },
    template: {
      containers: [
        {
          name: 'balancer',
          image,
          resources: { cpu: 0.5, memory: '1Gi' },
          env: [
            { name: 'BACKEND_1_URL', value: endpoint },
            { name: 'AZURE_CLIENT_ID', value: identity.clientId! },
            { name: 'CLIENT_API_KEYS', secretRef: 'client-keys' },
            ...extraEnv,
          ],
          probes: [{ type: 'Readiness', httpGet: { path: '/healthz', port: 8080 } }],
        },
      ],
      scale: { minReplicas: 1, maxReplicas: 1 },
    },
  });

  before(async () => {
    twin = await startTwin({ runApps: true });
    proxy = new ProxyAgent({ uri: twin.proxyUrl, requestTls: { ca: twin.ca } });
    const options = sdkOptions(twin);
    blobAgent = options.agent;
    const acr = new ContainerRegistryManagementClient(staticCredential, twin.subscriptionId, options);
    const cs = new CognitiveServicesManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const msi = new ManagedServiceIdentityClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    authz = new AuthorizationManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    aca = new ContainerAppsAPIClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin)).resourceGroups.createOrUpdate(RG, { location: LOCATION });
    await acr.registries.beginCreateAndWait(RG, 'acrapps1', { location: LOCATION, sku: { name: 'Basic' }, adminUserEnabled: false }, fastPoll);
    const context = await packContext(BALANCER, { exclude: ['node_modules', 'dist'] });
    const build = remoteBuild(acr, blobAgent, RG, 'acrapps1', context, [IMAGE], 200);

    const account = await cs.accounts.beginCreateAndWait(
      RG,
      'acc-apps',
      {
        location: LOCATION,
        kind: 'OpenAI',
        sku: { name: 'S0' },
        properties: { customSubDomainName: 'acc-apps-sub', disableLocalAuth: true },
      },
      fastPoll,
    );
    accountId = account.id!;
    endpoint = account.properties!.endpoint!;
    await cs.deployments.beginCreateOrUpdateAndWait(
      RG,
      'acc-apps',
      'chat',
      {
        sku: { name: 'Standard', capacity: 50 },
        properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' } },
      },
      fastPoll,
    );
    identity = await msi.userAssignedIdentities.createOrUpdate(RG, 'mi-lb', { location: LOCATION });
    await authz.roleAssignments.create(accountId, roleAssignment, {
      roleDefinitionId: `/subscriptions/${twin.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.cognitiveServicesOpenAIUser}`,
      principalId: identity.principalId!,
      principalType: 'ServicePrincipal',
    });
    const env = await aca.managedEnvironments.beginCreateOrUpdateAndWait(RG, 'cae-apps', { location: LOCATION }, fastPoll);
    envId = env.id!;

    const { run: built, logLink } = await build;
    assert.equal(built.status, 'Succeeded', (await blobRequest(blobAgent, 'GET', logLink)).body.toString('utf8').slice(-4000));
    app = await aca.containerApps.beginCreateOrUpdateAndWait(RG, 'lb', balancerApp('lb', IMAGE), fastPoll);
    await twin.apps!.whenReady('lb');
  });
  after(async () => {
    if (!closed) await twin?.close();
    await proxy?.close();
    blobAgent?.destroy();
  });

  it("shows the user-assigned identity with the MSI provider's principalId and clientId", () => {
    assert.deepEqual(app.identity!.userAssignedIdentities![identity.id!], { principalId: identity.principalId, clientId: identity.clientId });
  });

  it('answers https://{fqdn}/healthz through the proxy; the replica is Running and ready', async () => {
    assert.match(app.configuration!.ingress!.fqdn!, /^lb\.[a-z]+-[0-9a-f]{8}\.eastus2\.azurecontainerapps\.io$/);
    const res = await get(`https://${app.configuration!.ingress!.fqdn!}/healthz`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(twin.proxy!.connects.at(-1)!.route, 'edge');
    const [replica] = (await aca.containerAppsRevisionReplicas.listReplicas(RG, 'lb', app.latestRevisionName!)).value!;
    assert.equal(replica!.runningState, 'Running');
    assert.equal(replica!.containers![0]!.ready, true);
    assert.equal(replica!.containers![0]!.runningState, 'Running');
    assert.equal((await aca.containerAppsRevisions.getRevision(RG, 'lb', app.latestRevisionName!)).runningState, 'Running');
    assert.equal(twin.apps!.running('lb').length, 1);
  });

  it('runs the balancer with the platform variables, the identity endpoint and the secret resolved', () => {
    const [proc] = twin.apps!.running('lb');
    assert.ok(proc && proc.port > 0 && proc.port !== 8080);
    assert.ok(
      twin.apps!.output('lb').some((l) => /aoai-lb balancer listening on http:\/\/[^ ]+:\d+/.test(l)),
      twin.apps!.output('lb').join('\n'),
    );
  });

  it('answers an openai chat completion through the fqdn with the client key (managed-identity token to the backend)', async () => {
    const completion = await chat();
    assert.equal(completion.object, 'chat.completion');
    const tokens = twin.dataPlane!.tokens.list().filter((t) => t.clientId === identity.clientId);
    assert.ok(tokens.length > 0, 'the balancer asked the identity endpoint for a token');
    assert.equal(tokens[0]!.principalId, identity.principalId);
  });

  it('streams server-sent events through the edge unbuffered', async () => {
    const stream = await openai().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });
    let chunks = 0;
    for await (const chunk of stream) if (chunk.object === 'chat.completion.chunk') chunks++;
    assert.ok(chunks >= 2, `chunks: ${chunks}`);
  });

  it("streams the replica's console log with getAuthToken's token (text and JSON lines)", async () => {
    const { token } = await aca.containerApps.getAuthToken(RG, 'lb');
    const [replica] = (await aca.containerAppsRevisionReplicas.listReplicas(RG, 'lb', app.latestRevisionName!)).value!;
    const logStream = replica!.containers![0]!.logStreamEndpoint!;
    assert.equal(new URL(logStream).origin, new URL(app.eventStreamEndpoint!).origin);
    assert.equal(new URL(logStream).host, 'eastus2.azurecontainerapps.dev');
    const text = await (await get(`${logStream}?follow=false&output=text&tailLines=300`, { Authorization: `Bearer ${token!}` })).text();
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+ Connecting to the container 'balancer'\.\.\.$/);
    assert.match(
      lines[1]!,
      new RegExp(`Successfully Connected to container: 'balancer' \\[Revision: '${app.latestRevisionName!}', Replica: '${replica!.name!}'\\]`),
    );
    assert.ok(
      lines.some((l) => l.includes('Proxying to')),
      text,
    );
    const json = await (await get(`${logStream}?follow=false&output=json&tailLines=1`, { Authorization: `Bearer ${token!}` })).text();
    const parsed = json
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(parsed.length, 3, `two connection lines and the last line:\n${json}`);
    assert.equal(parsed[2]!.Log, lines.at(-1)!.replace(/^\S+ /, ''));
    for (const p of parsed) assert.deepEqual(Object.keys(p), ['TimeStamp', 'Log']);
    assert.equal((await get(`${logStream}?follow=false`, { Authorization: 'Bearer not-a-token' })).status, 401);
    assert.equal((await get(`${logStream}?follow=false`)).status, 401);
  });

  it('follows the log stream: a new request shows up while the stream is open', async () => {
    const { token } = await aca.containerApps.getAuthToken(RG, 'lb');
    const [replica] = (await aca.containerAppsRevisionReplicas.listReplicas(RG, 'lb', app.latestRevisionName!)).value!;
    const controller = new AbortController();
    const res = await undiciFetch(`${replica!.containers![0]!.logStreamEndpoint!}?follow=true&output=text&tailLines=0`, {
      headers: { Authorization: `Bearer ${token!}` },
      dispatcher: proxy,
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += Buffer.from(value).toString('utf8');
        if (seen.includes('Proxying to')) return;
      }
    })();
    await waitFor('the stream to connect', () => seen.includes('Successfully Connected'));
    await chat();
    await read;
    controller.abort();
    assert.match(seen, /Proxying to https:\/\/127\.0\.0\.1:\d+\/acc-apps-sub\//);
  });

  it('streams system events for the app and the environment (managedEnvironments.getAuthToken)', async () => {
    const { token } = await aca.containerApps.getAuthToken(RG, 'lb');
    const events = (await (await get(`${app.eventStreamEndpoint!}?follow=false&tailLines=50`, { Authorization: `Bearer ${token!}` })).text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      events.some((e) => e.Reason === 'ContainerStarted' && e.ContainerAppName === 'lb'),
      JSON.stringify(events),
    );
    const envToken = await aca.managedEnvironments.getAuthToken(RG, 'cae-apps');
    assert.ok(envToken.token && envToken.expires instanceof Date);
    const env = await aca.managedEnvironments.get(RG, 'cae-apps');
    const envEvents = await get(`${env.eventStreamEndpoint!}?follow=false`, { Authorization: `Bearer ${envToken.token}` });
    assert.equal(envEvents.status, 200);
    assert.match(await envEvents.text(), /"Reason":"PulledImage"/);
    assert.equal(
      (await get(`${env.eventStreamEndpoint!}?follow=false`, { Authorization: `Bearer ${token!}` })).status,
      401,
      "an app's token is not the environment's",
    );
  });

  it('passes the 403 through when the identity loses the OpenAI User role', async () => {
    await authz.roleAssignments.delete(accountId, roleAssignment);
    await assert.rejects(chat(), (e: { status?: number }) => e.status === 403);
  });

  it('proxy: CONNECT to a host the twin does not serve → 502 with a reason; an unknown app of the environment → 404', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${twin.proxyUrl}`, { method: 'CONNECT', path: 'example.com:443' });
      req.once('connect', (res, socket, head) => {
        let body = head.toString();
        socket.on('data', (c: Buffer) => (body += c.toString()));
        socket.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.once('error', reject);
      req.end();
    });
    assert.equal(status, 502);
    assert.match(body, /no route to example\.com: the Azure twin has no internet/);
    const domain = app.configuration!.ingress!.fqdn!.slice('lb.'.length);
    const missing = await get(`https://nope.${domain}/`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /This Container App is stopped or does not exist/);
  });

  it('a child process reaches the app with HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS (undici EnvHttpProxyAgent)', async () => {
    const script = `import { EnvHttpProxyAgent, fetch } from 'undici';
      const res = await fetch(process.argv[1], { dispatcher: new EnvHttpProxyAgent() });
      process.stdout.write(String(res.status));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, `https://${app.configuration!.ingress!.fqdn!}/healthz`], {
      cwd: process.cwd(),
      timeout: 30_000,
      env: { ...process.env, HTTPS_PROXY: twin.proxyUrl, NO_PROXY: '127.0.0.1,localhost', NODE_EXTRA_CA_CERTS: twin.caPath },
    });
    assert.equal(stdout, '200');
  });

  it('an image the twin did not build: the replica is NotRunning with ImagePullBackOff and the fqdn answers 503', async () => {
    const ghost = await aca.containerApps.beginCreateOrUpdateAndWait(RG, 'ghost', balancerApp('ghost', 'acrapps1.azurecr.io/nothing:v1'), fastPoll);
    await assert.rejects(twin.apps!.whenReady('ghost'), /ImagePullBackOff/);
    const [replica] = (await aca.containerAppsRevisionReplicas.listReplicas(RG, 'ghost', ghost.latestRevisionName!)).value!;
    assert.equal(replica!.runningState, 'NotRunning');
    assert.equal(replica!.containers![0]!.ready, false);
    assert.equal(replica!.containers![0]!.runningState, 'Waiting');
    assert.match(replica!.containers![0]!.runningStateDetails!, /^ImagePullBackOff: Back-off pulling image "acrapps1\.azurecr\.io\/nothing:v1"/);
    assert.equal((await aca.containerAppsRevisions.getRevision(RG, 'ghost', ghost.latestRevisionName!)).runningState, 'Failed');
    const res = await get(`https://${ghost.configuration!.ingress!.fqdn!}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'no healthy upstream');
    await aca.containerApps.beginDeleteAndWait(RG, 'ghost', fastPoll);
  });

  it('a new revision replaces the old process (Single mode)', async () => {
    const [old] = twin.apps!.running('lb');
    const updated = await aca.containerApps.beginUpdateAndWait(RG, 'lb', balancerApp('lb', IMAGE, [{ name: 'LOG_FORMAT', value: 'json' }]), fastPoll);
    assert.notEqual(updated.latestRevisionName, app.latestRevisionName);
    await twin.apps!.whenReady('lb');
    await waitFor('the old revision to stop', () => !alive(old!.pid));
    const running = twin.apps!.running('lb');
    assert.equal(running.length, 1);
    assert.equal(running[0]!.revision, updated.latestRevisionName);
    assert.equal((await get(`https://${app.configuration!.ingress!.fqdn!}/healthz`)).status, 200);
    app = updated;
  });

  it('deleting the app stops its process; the fqdn then answers 404', async () => {
    const pids = twin.apps!.running('lb').map((p) => p.pid);
    assert.equal(pids.length, 1);
    await aca.containerApps.beginDeleteAndWait(RG, 'lb', fastPoll);
    await waitFor('the app process to exit', () => twin.apps!.running('lb').length === 0 && !pids.some(alive));
    assert.equal((await get(`https://${app.configuration!.ingress!.fqdn!}/healthz`)).status, 404);
  });

  it('deleting the resource group stops the apps in it', async () => {
    await new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin)).resourceGroups.createOrUpdate('rg-apps2', {
      location: LOCATION,
    });
    await aca.containerApps.beginCreateOrUpdateAndWait('rg-apps2', 'lb3', balancerApp('lb3', IMAGE), fastPoll);
    await twin.apps!.whenReady('lb3');
    const pids = twin.apps!.running('lb3').map((p) => p.pid);
    assert.equal(pids.length, 1);
    await new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin)).resourceGroups.beginDeleteAndWait('rg-apps2', fastPoll);
    await waitFor('the app process to exit', () => twin.apps!.running('lb3').length === 0 && !pids.some(alive));
  });

  it('twin.close() stops every process it started', async () => {
    app = await aca.containerApps.beginCreateOrUpdateAndWait(RG, 'lb2', balancerApp('lb2', IMAGE), fastPoll);
    await twin.apps!.whenReady('lb2');
    const started = twin.apps!.started;
    assert.ok(started.some((p) => p.running));
    closed = true;
    await twin.close();
    assert.deepEqual(
      started.filter((p) => alive(p.pid)).map((p) => p.pid),
      [],
    );
    assert.ok(twin.dataPlane!.started.every((s) => !s.running));
  });
});
