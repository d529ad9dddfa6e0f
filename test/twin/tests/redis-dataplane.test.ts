// Azure Managed Redis's data plane in the twin: a real redis-server (Debian's) per database behind a TLS
// front that takes Entra ID tokens as Azure does. The real @redis/client 6.3.1 connects with a token from the
// twin's managed-identity endpoint (resource https://redis.azure.com) and the identity's object id as the
// username: let in with an access policy assignment, refused (Redis's own WRONGPASS) without one, with a
// token the twin never issued, for another resource, expired, or under another username; re-AUTH is checked
// the same way; a connection whose token expires without a fresh AUTH is closed; nothing gets in without AUTH;
// deleting the cluster stops the redis-server.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startTwin, type Twin } from '../index.js';
import { fastPoll, sdkOptions, staticCredential } from '../sdk.js';
import { waitFor } from '../../helpers/wait.js';

const API = '2025-07-01';
const RG = 'rg-redis-dp';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

describe('twin: Azure Managed Redis data plane (redis-server behind an Entra ID front)', () => {
  let twin: Twin;
  let arm: ResourceManagementClient;
  let port: number;
  let granted: { clientId: string; principalId: string };
  let other: { clientId: string; principalId: string };
  const cluster = () => `/subscriptions/${twin.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Cache/redisEnterprise/amr-dp`;

  const tokenFor = async (clientId: string, resource = 'https://redis.azure.com'): Promise<string> => {
    const env = twin.identityEndpointFor(clientId);
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}&client_id=${clientId}`;
    const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': env.IDENTITY_HEADER } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const client = (username: string, password: string, RESP: 2 | 3 = 2) => {
    const c = createClient({ RESP, username, password, socket: { host: '127.0.0.1', port, tls: true, ca: twin.ca, reconnectStrategy: false } });
    c.on('error', () => undefined);
    return c;
  };
  const refused = async (username: string, password: string, RESP: 2 | 3 = 2) => {
    const c = client(username, password, RESP);
    await assert.rejects(c.connect(), (error: Error) => error.message === WRONGPASS);
    c.destroy();
  };

  before(async () => {
    twin = await startTwin({ dataPlane: true });
    arm = new ResourceManagementClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    const msi = new ManagedServiceIdentityClient(staticCredential, twin.subscriptionId, sdkOptions(twin));
    await arm.resourceGroups.createOrUpdate(RG, { location: 'westus3' });
    const id = async (name: string) => {
      const i = await msi.userAssignedIdentities.createOrUpdate(RG, name, { location: 'westus3' });
      return { clientId: i.clientId!, principalId: i.principalId! };
    };
    granted = await id('id-granted');
    other = await id('id-other');
    const c = await arm.resources.beginCreateOrUpdateByIdAndWait(
      cluster(),
      API,
      { location: 'westus3', sku: { name: 'Balanced_B0' }, properties: { highAvailability: 'Disabled', publicNetworkAccess: 'Enabled' } },
      fastPoll,
    );
    assert.equal((c.properties as { hostName: string }).hostName, '127.0.0.1');
    const db = await arm.resources.beginCreateOrUpdateByIdAndWait(
      `${cluster()}/databases/default`,
      API,
      {
        properties: {
          clientProtocol: 'Encrypted',
          port: 10000,
          clusteringPolicy: 'NoCluster',
          evictionPolicy: 'NoEviction',
          accessKeysAuthentication: 'Disabled',
        },
      },
      fastPoll,
    );
    port = (db.properties as { port: number }).port;
    assert.notEqual(port, 10000, "the front's loopback port");
    await arm.resources.beginCreateOrUpdateByIdAndWait(
      `${cluster()}/databases/default/accessPolicyAssignments/balancer`,
      API,
      { properties: { accessPolicyName: 'default', user: { objectId: granted.principalId } } },
      fastPoll,
    );
  });
  after(() => twin.close());

  it('lets the identity with an access policy assignment in (AUTH and HELLO 3 AUTH), and re-AUTH works', async () => {
    const token = await tokenFor(granted.clientId);
    for (const RESP of [2, 3] as const) {
      const c = client(granted.principalId, token, RESP);
      await c.connect();
      assert.equal(await c.set(`k${RESP}`, 'v'), 'OK');
      assert.equal(await c.get(`k${RESP}`), 'v');
      assert.equal(await c.auth({ username: granted.principalId, password: await tokenFor(granted.clientId) }), 'OK');
      await assert.rejects(c.auth({ username: granted.principalId, password: 'not-a-token' }), (e: Error) => e.message === WRONGPASS);
      assert.equal(await c.get(`k${RESP}`), 'v', 'a failed re-AUTH keeps the connection as it was, as Redis does');
      c.destroy();
    }
    const plane = twin.redisPlanes!.plane('amr-dp')!;
    assert.deepEqual(
      plane.front.auths.map((a) => [a.command, a.ok]),
      [
        ['AUTH', true],
        ['AUTH', true],
        ['AUTH', false],
        ['HELLO', true],
        ['AUTH', true],
        ['AUTH', false],
      ],
    );
  });

  it('refuses an identity without an assignment, a foreign token, another resource, an expired token, another username', async () => {
    await refused(other.principalId, await tokenFor(other.clientId));
    await refused(granted.principalId, 'a-token-the-twin-never-issued');
    await refused(granted.principalId, await tokenFor(granted.clientId, 'https://cognitiveservices.azure.com'));
    await refused(other.principalId, await tokenFor(granted.clientId), 3);
    const expired = await tokenFor(granted.clientId);
    twin.dataPlane!.tokens.expire(expired);
    await refused(granted.principalId, expired);
    const reasons = twin
      .redisPlanes!.plane('amr-dp')!
      .front.auths.filter((a) => !a.ok)
      .map((a) => a.reason);
    assert.ok(reasons.some((r) => /no access policy assignment/.test(r ?? '')));
    assert.ok(reasons.some((r) => /expired/.test(r ?? '')));
  });

  it('closes a connection when its token expires without a fresh AUTH; a re-AUTH moves the deadline, except in RESP2 subscribe mode', async () => {
    const tokens = twin.dataPlane!.tokens;
    const front = twin.redisPlanes!.plane('amr-dp')!.front;
    const lifetime = tokens.lifetimeMs;
    const sockets: TLSSocket[] = [];
    /** A raw connection that signs in (HELLO 2 or 3) and subscribes; `reAuth` sends AUTH with a fresh token and gives Redis's reply. */
    const subscriber = async (protocol: 2 | 3) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: twin.ca });
      sockets.push(socket);
      let replies = '';
      socket.on('data', (c: Buffer) => (replies += c.toString()));
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      socket.write(`HELLO ${protocol} AUTH ${granted.principalId} ${await tokenFor(granted.clientId)}\r\nSUBSCRIBE events\r\n`);
      await waitFor(`the RESP${protocol} subscription`, () => /subscribe\r\n\$6\r\nevents\r\n:1\r\n$/.test(replies));
      return {
        socket,
        async reAuth() {
          const before = replies.length;
          socket.write(`AUTH ${granted.principalId} ${await tokenFor(granted.clientId)}\r\n`);
          return waitFor(`the RESP${protocol} re-AUTH reply`, () => /\r\n$/.test(replies.slice(before)) && replies.slice(before));
        },
      };
    };
    try {
      // First tokens live 2 s, the renewed ones 4 s: every renewed deadline is later than every first one.
      tokens.lifetimeMs = 2000;
      const lapsing = client(granted.principalId, await tokenFor(granted.clientId));
      const renewed = client(granted.principalId, await tokenFor(granted.clientId), 3);
      const [, , resp2, resp3] = await Promise.all([lapsing.connect(), renewed.connect(), subscriber(2), subscriber(3)]);
      tokens.lifetimeMs = 4000;
      assert.equal(await renewed.auth({ username: granted.principalId, password: await tokenFor(granted.clientId) }), 'OK');
      assert.match(await resp2.reAuth(), /^-ERR Can't execute 'auth': only \(P\|S\)SUBSCRIBE/, "Redis's own refusal");
      assert.equal(await resp3.reAuth(), '+OK\r\n');
      const expiredBefore = front.expired.length;

      await waitFor('the connection without a fresh AUTH to be closed', () => !lapsing.isOpen, 5000);
      await waitFor('the RESP2 subscriber, whose AUTH Redis refused, to be closed', () => resp2.socket.closed, 5000);
      for (const closed of front.expired.slice(expiredBefore)) {
        assert.equal(closed.username, granted.principalId);
        assert.ok(closed.closedAt >= closed.expiresAt, 'closed at expiry, not before');
      }
      assert.equal(await renewed.ping(), 'PONG', 'the re-AUTHed connection outlives its first token');
      assert.ok(!resp3.socket.closed, 'the RESP3 subscriber, re-AUTHed while subscribed, outlives its first token');
      await waitFor('the re-AUTHed connections to be closed once their new tokens expire', () => !renewed.isOpen && resp3.socket.closed, 6000);
      assert.equal(front.expired.length, expiredBefore + 4);
    } finally {
      tokens.lifetimeMs = lifetime;
      for (const socket of sockets) socket.destroy();
    }
  });

  it('answers NOAUTH before AUTH, and the redis-server itself takes nothing unauthenticated', async () => {
    const ask = (socket: NodeJS.ReadWriteStream, text: string) =>
      new Promise<string>((resolve) => {
        socket.once('data', (c: Buffer) => resolve(c.toString()));
        socket.write(text);
      });
    const front = tlsConnect({ host: '127.0.0.1', port, ca: twin.ca });
    await new Promise((resolve) => front.once('secureConnect', resolve));
    assert.equal(await ask(front, 'PING\r\n'), '-NOAUTH Authentication required.\r\n');
    front.destroy();
    const server = netConnect(twin.redisPlanes!.plane('amr-dp')!.server.port, '127.0.0.1');
    await new Promise((resolve) => server.once('connect', resolve));
    assert.equal(await ask(server, '*1\r\n$4\r\nPING\r\n'), '-NOAUTH Authentication required.\r\n');
    server.destroy();
  });

  it('deleting the cluster stops its redis-server and closes the front', async () => {
    const plane = twin.redisPlanes!.plane('amr-dp')!;
    assert.ok(plane.server.running);
    await arm.resources.beginDeleteByIdAndWait(cluster(), API, fastPoll);
    await waitFor('the redis-server to exit', () => !plane.server.running);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, ca: twin.ca }, () => resolve(s));
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });
});
