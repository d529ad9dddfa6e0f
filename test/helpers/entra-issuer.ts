/**
 * A local Entra ID issuer on 127.0.0.1: serves the OpenID configuration and the JWKS of any tenant path
 * (Entra's signing keys are common to all tenants) and signs real RS256 tokens shaped like the ones
 * Entra issues for `https://cognitiveservices.azure.com/.default`. Keys rotate, and the JWKS can go down.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** The client id of "the chat app" in default tokens. */
export const chatAppId = '5f1c2b7e-8d4a-4c1e-9a3b-2e6f0d7c9a41';
export const defaultObjectId = 'a3d9e0b4-6c2f-4f8a-b1e5-7d4c3a2b1f00';

export interface Claims extends JWTPayload {
  aud: string | string[];
  iss: string;
  tid: string;
  oid: string;
  appid?: string;
  azp?: string;
  roles?: string[];
  ver: string;
  iat: number;
  nbf: number;
  exp: number;
}

export interface TokenOptions {
  kid?: string;
  alg?: string;
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
  version?: 1 | 2;
  signWith?: 'current' | 'stranger';
}

export interface EntraIssuer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  authorityHost: string;
  tenantId: string;
  issueToken(claims?: Partial<Claims> & TokenOptions): Promise<string>;
  /** A new RSA key with a new kid; the JWKS then serves only the new key. */
  rotateKeys(): Promise<void>;
  /** false: the JWKS route answers 503. */
  setAvailable(up: boolean): void;
  jwksRequests(): number;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

const tokenOptionNames = ['kid', 'alg', 'expiresInSeconds', 'notBeforeSeconds', 'version', 'signWith'];

export async function startEntraIssuer(options: { tenantId?: string } = {}): Promise<EntraIssuer> {
  const tenantId = options.tenantId ?? randomUUID();
  let current = await newSigningKey();
  const stranger = await newSigningKey();
  let available = true;
  let keyRequests = 0;

  const server = createServer((req, res) => {
    const keys = /^\/([^/]+)\/discovery\/v2\.0\/keys$/.exec(req.url ?? '');
    const openid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(req.url ?? '');
    if (req.method === 'GET' && keys) {
      keyRequests += 1;
      if (!available) return sendJson(res, 503, { error: 'temporarily_unavailable' });
      return sendJson(res, 200, { keys: [current.publicJwk] });
    }
    if (req.method === 'GET' && openid) return sendJson(res, 200, openidConfiguration(authorityHost, openid[1]!));
    sendJson(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const authorityHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function issueToken(input: Partial<Claims> & TokenOptions = {}): Promise<string> {
    const { kid = current.kid, alg = 'RS256', expiresInSeconds = 3600, notBeforeSeconds = 0, version = 1, signWith = 'current' } = input;
    const now = Math.floor(Date.now() / 1000);
    const tid = input.tid ?? tenantId;
    const base: Claims = {
      aud: 'https://cognitiveservices.azure.com',
      iss: version === 1 ? `https://sts.windows.net/${tid}/` : `${authorityHost}/${tid}/v2.0`,
      tid,
      oid: defaultObjectId,
      ...(version === 1 ? { appid: chatAppId } : { azp: chatAppId }),
      ver: version === 1 ? '1.0' : '2.0',
      iat: now,
      nbf: now + notBeforeSeconds,
      exp: now + expiresInSeconds,
    };
    const payload = withoutUndefined({ ...base, ...claimsOnly(input) });
    const header = { alg, kid, typ: 'JWT' };
    if (alg === 'none') return `${encodeJson(header)}.${encodeJson(payload)}.`;
    const signer = new SignJWT(payload).setProtectedHeader(header);
    if (alg.startsWith('HS')) return signer.sign(new TextEncoder().encode('a-shared-secret-that-is-at-least-32-bytes-long!'));
    if (alg !== 'RS256') return signer.sign((await generateKeyPair(alg)).privateKey);
    return signer.sign((signWith === 'stranger' ? stranger : current).privateKey);
  }

  return {
    authorityHost,
    tenantId,
    issueToken,
    async rotateKeys() {
      current = await newSigningKey();
    },
    setAvailable(up) {
      available = up;
    },
    jwksRequests: () => keyRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' } };
}

function openidConfiguration(authorityHost: string, tenant: string): object {
  return {
    issuer: `${authorityHost}/${tenant}/v2.0`,
    jwks_uri: `${authorityHost}/${tenant}/discovery/v2.0/keys`,
    token_endpoint: `${authorityHost}/${tenant}/oauth2/v2.0/token`,
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

function claimsOnly(input: Partial<Claims> & TokenOptions): Partial<Claims> {
  return Object.fromEntries(Object.entries(input).filter(([name]) => !tokenOptionNames.includes(name))) as Partial<Claims>;
}

/** An explicit `undefined` (e.g. `{ appid: undefined }`) removes a default claim. */
function withoutUndefined(claims: Record<string, unknown>): JWTPayload {
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

function encodeJson(value: object): string {
  return base64url.encode(JSON.stringify(value));
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
