/** Header rewriting between client, balancer and backend. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific headers, never forwarded. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** Also dropped on the way to a backend: the client's credentials, the host and the length we recompute. */
const notForwardedUpstream = new Set([...hopByHop, 'host', 'content-length', 'api-key', 'authorization']);

export type OutgoingHeaders = Record<string, string | string[]>;

export function upstreamHeaders(req: IncomingMessage, auth: { apiKey: string } | { bearer: string }, bodyLength: number): OutgoingHeaders {
  const headers: OutgoingHeaders = {};
  copy(req.headers, headers, notForwardedUpstream);
  if ('apiKey' in auth) headers['api-key'] = auth.apiKey;
  else headers.authorization = `Bearer ${auth.bearer}`;
  if (bodyLength > 0 || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    headers['content-length'] = String(bodyLength);
  }
  const forwardedFor = req.headers['x-forwarded-for'];
  const clientAddress = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${clientAddress}` : clientAddress;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  return headers;
}

export function downstreamHeaders(upstream: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHeaders {
  const headers: OutgoingHeaders = {};
  copy(upstream, headers, hopByHop);
  return headers;
}

function copy(from: Record<string, string | string[] | undefined>, to: OutgoingHeaders, skip: Set<string>): void {
  const named = connectionOptions(from.connection);
  for (const name in from) {
    const value = from[name];
    if (value === undefined || skip.has(name) || named?.has(name)) continue;
    to[name] = value;
  }
}

/** Headers that the Connection header names are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionOptions(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (!text.includes(',') && /^\s*(keep-alive|close)\s*$/i.test(text)) return undefined;
  return new Set(
    text
      .split(',')
      .map((option) => option.trim().toLowerCase())
      .filter((option) => option.length > 0),
  );
}

export function headerInteger(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

const requestIdPattern = /^[\w.:-]{1,128}$/;

/** The client's own request id when it sent a sane one, so a request can be followed end to end. */
export function clientRequestId(headers: IncomingHttpHeaders): string | undefined {
  for (const name of ['x-ms-client-request-id', 'x-request-id']) {
    const value = headers[name];
    if (typeof value === 'string' && requestIdPattern.test(value)) return value;
  }
  return undefined;
}
