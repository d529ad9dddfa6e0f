import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { clientRequestId, downstreamHeaders, headerInteger, upstreamHeaders } from '../src/http-headers.js';

/** What upstreamHeaders reads from a request: its headers, method and the client's address. */
function request(headers: IncomingHttpHeaders, method = 'POST', remoteAddress: string | undefined = '10.0.0.9'): IncomingMessage {
  return { headers, method, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const hopByHop = {
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  'proxy-connection': 'keep-alive',
  'proxy-authenticate': 'Basic',
  'proxy-authorization': 'Basic cHJveHk6cHc=',
  te: 'trailers',
  trailer: 'x-checksum',
  'transfer-encoding': 'chunked',
  upgrade: 'h2c',
  expect: '100-continue',
};

test('upstream: hop-by-hop headers, host, length and client credentials are not forwarded', () => {
  const headers = upstreamHeaders(
    request({
      ...hopByHop,
      host: 'lb.example.net',
      'content-length': '999',
      'api-key': 'client-key',
      authorization: 'Bearer client-key',
      'content-type': 'application/json',
      'user-agent': 'AzureOpenAI/Python 1.50.0',
      'x-ms-client-request-id': 'abc-123',
      accept: 'text/event-stream',
    }),
    { apiKey: 'backend-key' },
    42,
  );
  for (const name of Object.keys(hopByHop)) assert.equal(headers[name], undefined, name);
  assert.equal(headers.host, undefined);
  assert.deepEqual(headers, {
    'content-type': 'application/json',
    'user-agent': 'AzureOpenAI/Python 1.50.0',
    'x-ms-client-request-id': 'abc-123',
    accept: 'text/event-stream',
    'api-key': 'backend-key',
    'content-length': '42',
    'x-forwarded-for': '10.0.0.9',
    'x-forwarded-host': 'lb.example.net',
  });
});

test("upstream: the backend's API key replaces the client's credentials", () => {
  const headers = upstreamHeaders(request({ 'api-key': 'client-key', authorization: 'Bearer client-token' }), { apiKey: 'backend-key' }, 0);
  assert.equal(headers['api-key'], 'backend-key');
  assert.equal(headers.authorization, undefined);
});

test("upstream: a bearer token replaces the client's credentials, and no api-key is sent", () => {
  const headers = upstreamHeaders(request({ 'api-key': 'client-key', authorization: 'Bearer client-token' }), { bearer: 'mi-token' }, 0);
  assert.equal(headers.authorization, 'Bearer mi-token');
  assert.equal(headers['api-key'], undefined);
});

test('upstream: content-length is the length of the body actually sent', () => {
  assert.equal(upstreamHeaders(request({ 'content-length': '10' }, 'POST'), { apiKey: 'k' }, 17)['content-length'], '17');
  assert.equal(upstreamHeaders(request({}, 'POST'), { apiKey: 'k' }, 0)['content-length'], '0');
  assert.equal(upstreamHeaders(request({}, 'PUT'), { apiKey: 'k' }, 0)['content-length'], '0');
  assert.equal(upstreamHeaders(request({}, 'PATCH'), { apiKey: 'k' }, 0)['content-length'], '0');
  assert.equal(upstreamHeaders(request({}, 'GET'), { apiKey: 'k' }, 0)['content-length'], undefined);
  assert.equal(upstreamHeaders(request({}, 'DELETE'), { apiKey: 'k' }, 0)['content-length'], undefined);
  assert.equal(upstreamHeaders(request({}, 'GET'), { apiKey: 'k' }, 5)['content-length'], '5');
});

test('upstream: x-forwarded-for gets the client address appended', () => {
  assert.equal(upstreamHeaders(request({}), { apiKey: 'k' }, 0)['x-forwarded-for'], '10.0.0.9');
  assert.equal(upstreamHeaders(request({ 'x-forwarded-for': '203.0.113.7' }), { apiKey: 'k' }, 0)['x-forwarded-for'], '203.0.113.7, 10.0.0.9');
  assert.equal(
    upstreamHeaders(request({ 'x-forwarded-for': '203.0.113.7, 198.51.100.2' }, 'POST', '::1'), { apiKey: 'k' }, 0)['x-forwarded-for'],
    '203.0.113.7, 198.51.100.2, ::1',
  );
});

test('upstream: x-forwarded-host only when the client sent a host', () => {
  assert.equal(upstreamHeaders(request({ host: 'lb:8080' }), { apiKey: 'k' }, 0)['x-forwarded-host'], 'lb:8080');
  assert.equal('x-forwarded-host' in upstreamHeaders(request({}), { apiKey: 'k' }, 0), false);
});

test('upstream: multi-valued headers are kept as arrays', () => {
  const headers = upstreamHeaders(request({ 'x-custom': ['a', 'b'] as unknown as string }), { apiKey: 'k' }, 0);
  assert.deepEqual(headers['x-custom'], ['a', 'b']);
});

test('downstream: hop-by-hop headers are removed, everything else passes', () => {
  const headers = downstreamHeaders({
    ...hopByHop,
    'content-type': 'text/event-stream',
    'content-length': '120',
    'x-ratelimit-remaining-tokens': '9000',
    'apim-request-id': 'r-1',
    'set-cookie': ['a=1', 'b=2'],
    'x-absent': undefined,
  });
  assert.deepEqual(headers, {
    'content-type': 'text/event-stream',
    'content-length': '120',
    'x-ratelimit-remaining-tokens': '9000',
    'apim-request-id': 'r-1',
    'set-cookie': ['a=1', 'b=2'],
  });
});

test('headerInteger: plain non-negative integers only', () => {
  assert.equal(headerInteger('9000'), 9000);
  assert.equal(headerInteger(' 0 '), 0);
  assert.equal(headerInteger(['12', '13']), 12);
  for (const value of [undefined, '', '-1', '1.5', '1e3', 'abc', '0x10']) assert.equal(headerInteger(value), undefined, String(value));
});

test('clientRequestId: a sane x-ms-client-request-id, else x-request-id, else nothing', () => {
  assert.equal(clientRequestId({ 'x-ms-client-request-id': '5f1c2d3e-aaaa-bbbb-cccc-0123456789ab' }), '5f1c2d3e-aaaa-bbbb-cccc-0123456789ab');
  assert.equal(clientRequestId({ 'x-request-id': 'req_01:abc.def' }), 'req_01:abc.def');
  assert.equal(clientRequestId({ 'x-ms-client-request-id': 'ms-id', 'x-request-id': 'other' }), 'ms-id');
  assert.equal(clientRequestId({ 'x-ms-client-request-id': 'bad id', 'x-request-id': 'good-id' }), 'good-id');
  assert.equal(clientRequestId({}), undefined);
});

test('clientRequestId: ids that could forge log lines or flood them are refused', () => {
  for (const id of ['', 'a b', 'line\nbreak', 'tab\there', '"quoted"', 'x'.repeat(129), '<script>', 'id;rm', 'ünïcode']) {
    assert.equal(clientRequestId({ 'x-ms-client-request-id': id }), undefined, JSON.stringify(id));
  }
  assert.equal(clientRequestId({ 'x-ms-client-request-id': 'x'.repeat(128) }), 'x'.repeat(128));
});

test('headers named in Connection are hop-by-hop too, both ways', () => {
  const up = upstreamHeaders(request({ connection: 'close, X-Hop', 'x-hop': 'secret', 'x-kept': 'yes' }), { apiKey: 'k' }, 0);
  assert.equal(up['x-hop'], undefined);
  assert.equal(up['x-kept'], 'yes');
  const down = downstreamHeaders({ connection: 'x-internal', 'x-internal': '1', 'x-ratelimit-remaining-tokens': '5' });
  assert.equal(down['x-internal'], undefined);
  assert.equal(down['x-ratelimit-remaining-tokens'], '5');
});
