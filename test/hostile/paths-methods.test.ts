// Hostile input, families "paths", "methods" and "protocols": 101 cases (counted by the last test's
// diagnostic). Dot segments plain and %2e in every case mix, double slashes, backslashes, %00, CR/LF in a
// deployment name, absolute- and authority-form targets, *, long paths, overlong UTF-8; TRACE, CONNECT,
// WebDAV and made-up methods; HTTP/1.0, 0.9, 2 preface, h2c and websocket upgrades, bogus versions.
import assert from 'node:assert/strict';
import { chatBody, chatPath, clientKey, describeHostile, prefix, raw, req, textFields, type Expect, type HostileCase, type Status } from './harness.js';

const q = '?api-version=2024-10-21';
const get = (target: string, extra: string[] = []): string => req('GET', target, extra);
const refused: Status[] = [400, 'closed'];
/** Forwarded, to exactly this URL under the backend's prefix. */
const to = (path: string): Expect => ({ status: [200], reached: 1, upstream: `${prefix}${path}` });
/** Refused by the balancer's handler because the path climbs above the root. */
const climbs: Expect = { status: [400], json: true, check: (o) => assert.match(o.responses[0]!.body, /climb above the root/) };
/** Not a path: refused with the balancer's JSON 400, or by the parser. */
const notAPath: Expect = { status: [400, 'closed'] };
const notAllowed: Expect = { status: [405, 400, 'closed'], check: (o) => assertAllow(o.responses[0]) };
function assertAllow(response: { status: number; headers: Record<string, string> } | undefined): void {
  if (response?.status === 405) assert.equal(response.headers.allow, 'GET, HEAD, POST, PUT, PATCH, DELETE');
}
/** A deployment name that would forge a log line if written raw: the Proxying line must keep one deployment field. */
const oneLine =
  (expected: string) =>
  (_o: unknown, _r: unknown, logs: string): void => {
    const line = logs.split('\n').find((entry) => entry.includes('Proxying to'));
    assert.ok(line, `a Proxying line in ${logs}`);
    const fields = textFields(line);
    assert.deepEqual(
      fields.filter(([name]) => name === 'deployment').map(([, value]) => value),
      [expected],
    );
    assert.equal(fields.filter(([name]) => name === 'status').length, 1, `one status field: ${line}`);
    assert.doesNotMatch(logs, /^FORGED/m);
  };
const deploymentPath = (name: string): string => `/openai/deployments/${name}/chat/completions${q}`;

const climbing = ['%2e%2e', '%2E%2E', '%2e%2E', '%2E%2e', '.%2e', '%2e.', '.%2E', '%2E.'];

const cases: HostileCase[] = [
  // dot segments
  { name: 'dot segments resolved inside the API path', send: get(`/openai/../openai/deployments/chat/chat/completions${q}`), expect: to(chatPath) },
  { name: 'dot segments climbing out of /openai stay under the prefix', send: get('/openai/deployments/chat/../../../etc/passwd'), expect: to('/etc/passwd') },
  { name: '/../ above the root', send: get('/../etc/passwd'), expect: climbs },
  { name: '/openai/../../ above the root', send: get('/openai/../../etc/passwd'), expect: climbs },
  { name: 'single-dot segments', send: get(`/./openai/./deployments/chat/./chat/completions${q}`), expect: to(chatPath) },
  { name: 'trailing .. segment', send: get('/openai/deployments/chat/chat/completions/..'), expect: to('/openai/deployments/chat/chat/') },
  { name: 'trailing . segment', send: get('/openai/deployments/chat/.'), expect: to('/openai/deployments/chat/') },
  ...climbing.map((dots): HostileCase => ({ name: `${dots} above the root`, send: get(`/${dots}/etc/passwd`), expect: climbs })),
  ...climbing.map((dots): HostileCase => ({
    name: `${dots} resolved inside the path`,
    send: get(`/openai/deployments/x/${dots}/chat/chat/completions${q}`),
    expect: to(chatPath),
  })),
  { name: '%2e single dot segment', send: get(`/openai/%2e/deployments/chat/%2E/chat/completions${q}`), expect: to(chatPath) },
  { name: 'a deployment named %2e%2e', send: get(`/openai/deployments/%2e%2e/chat/completions${q}`), expect: to(`/openai/chat/completions${q}`) },
  { name: 'double-encoded %252e%252e is a name, not a dot segment', send: get('/%252e%252e/etc/passwd'), expect: to('/%252e%252e/etc/passwd') },
  { name: '..%2f with an encoded slash is one segment', send: get('/..%2f..%2fetc/passwd'), expect: to('/..%2f..%2fetc/passwd') },
  {
    name: 'raw backslashes with dot segments',
    send: get('/openai\\..\\..\\..\\etc\\passwd'),
    expect: { status: [200, 400, 'closed'], reached: 'any', check: (_o, requests) => noBackslashClimb(requests) },
  },
  { name: '%5c backslashes with dot segments', send: get('/openai%5c..%5c..%5cetc%5cpasswd'), expect: to('/openai%5c..%5c..%5cetc%5cpasswd') },
  { name: 'overlong UTF-8 dots (%c0%ae) stay bytes', send: get('/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd'), expect: to('/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd') },
  {
    name: 'overlong UTF-8 slash (%c0%af) in a deployment name',
    send: get(deploymentPath('..%c0%af..%c0%afx')),
    expect: to(deploymentPath('..%c0%af..%c0%afx')),
  },
  { name: 'raw overlong UTF-8 bytes in the path', send: get('/\u00c0\u00ae\u00c0\u00ae/etc/passwd'), expect: { status: [200, 400, 'closed'], reached: 'any' } },
  { name: 'invalid UTF-8 (%ff%fe) in a deployment name', send: get(deploymentPath('%ff%fe')), expect: to(deploymentPath('%ff%fe')) },
  // slashes and special names
  {
    name: 'double slash before the API path',
    send: get(`//openai/deployments/chat/chat/completions${q}`),
    expect: to(`//openai/deployments/chat/chat/completions${q}`),
  },
  { name: 'protocol-relative //host path stays at this backend', send: get('//evil.test/x'), expect: to('//evil.test/x') },
  { name: 'many slashes', send: get('////////x'), expect: to('////////x') },
  { name: '/status/.. reaches the proxy, resolved', send: get(`/status/../openai/deployments/chat/chat/completions${q}`), expect: to(chatPath) },
  {
    name: 'no key: /healthz/../ path is not /healthz',
    send: raw([`GET /healthz/../openai/deployments/chat/chat/completions${q} HTTP/1.1`, 'Host: lb.test', 'Connection: close']),
    expect: { status: [401], json: true },
  },
  {
    name: 'no key: /healthz/ with a trailing slash',
    send: raw(['GET /healthz/ HTTP/1.1', 'Host: lb.test', 'Connection: close']),
    expect: { status: [401], json: true },
  },
  { name: 'no key: /HEALTHZ in capitals', send: raw(['GET /HEALTHZ HTTP/1.1', 'Host: lb.test', 'Connection: close']), expect: { status: [401], json: true } },
  {
    name: 'no key: /status%2f..%2fhealthz',
    send: raw(['GET /status%2f..%2fhealthz HTTP/1.1', 'Host: lb.test', 'Connection: close']),
    expect: { status: [401], json: true },
  },
  {
    name: '/healthz with a query that looks like a path',
    send: raw(['GET /healthz?x=/../../openai HTTP/1.1', 'Host: lb.test', 'Connection: close']),
    expect: { status: [200], reached: 0 },
  },
  // control characters in a deployment name
  { name: '%00 in a deployment name', send: get(deploymentPath('chat%00')), expect: { ...to(deploymentPath('chat%00')), check: oneLine('chat\\u0000') } },
  {
    name: '%0d%0a and a forged line in a deployment name',
    send: get(deploymentPath('chat%0d%0aFORGED%20line')),
    expect: { ...to(deploymentPath('chat%0d%0aFORGED%20line')), check: oneLine('chat\\u000d\\u000aFORGED line') },
  },
  {
    name: 'a forged timestamped line after %0a',
    send: get(deploymentPath('x%0a2026-01-01T00:00:00.000Z%20info%20%20FORGED')),
    expect: { ...to(deploymentPath('x%0a2026-01-01T00:00:00.000Z%20info%20%20FORGED')), check: oneLine('x\\u000a2026-01-01T00:00:00.000Z info  FORGED') },
  },
  {
    name: 'quote and fields in a deployment name',
    send: get(deploymentPath('x%22%20status%3D999%20backend%3D9')),
    expect: { ...to(deploymentPath('x%22%20status%3D999%20backend%3D9')), check: oneLine('x" status=999 backend=9') },
  },
  {
    name: 'U+2028 and U+2029 in a deployment name',
    send: get(deploymentPath('a%e2%80%a8b%e2%80%a9c')),
    expect: { ...to(deploymentPath('a%e2%80%a8b%e2%80%a9c')), check: oneLine('a\\u2028b\\u2029c') },
  },
  {
    name: 'C1 control NEL (%c2%85) and ESC in a deployment name',
    send: get(deploymentPath('a%c2%85b%1b[31m')),
    expect: { ...to(deploymentPath('a%c2%85b%1b[31m')), check: oneLine('a\\u0085b\\u001b[31m') },
  },
  { name: 'raw space in the path', send: get('/openai/deployments/a b/chat'), expect: { status: refused } },
  // request-target forms
  {
    name: 'absolute-form to the backend itself',
    send: get(`http://127.0.0.1:1/aoai${chatPath}`),
    expect: { ...notAPath, check: (o) => assertNotAPath(o.responses[0]) },
  },
  { name: 'absolute-form to another host', send: get(`http://evil.test${chatPath}`), expect: { ...notAPath, check: (o) => assertNotAPath(o.responses[0]) } },
  { name: 'absolute-form https', send: get(`https://evil.test:443${chatPath}`), expect: { ...notAPath, check: (o) => assertNotAPath(o.responses[0]) } },
  { name: 'authority-form on GET', send: get('127.0.0.1:80'), expect: notAPath },
  { name: 'asterisk-form on GET', send: get('*'), expect: notAPath },
  { name: 'asterisk-form on OPTIONS', send: req('OPTIONS', '*'), expect: notAllowed },
  { name: 'target that is only a query', send: get(`?api-key=${clientKey}`), expect: notAPath },
  { name: 'path of 8 KB', send: get(`/openai/deployments/${'d'.repeat(8000)}/chat/completions${q}`), expect: { status: [200, 414, 431], reached: 'any' } },
  { name: 'path of 20 KB', send: get(`/${'p'.repeat(20_000)}`), expect: { status: [414, 431, 400, 'closed'] } },
  { name: 'path of 2,000 ../ segments', send: get(`/openai${'/..'.repeat(2000)}/x`), expect: climbs },
  { name: 'path of 3,000 ./ segments', send: get(`${'/.'.repeat(3000)}/x`), expect: to('/x') },
  { name: 'fragment in the request target', send: get('/openai/v1/models#/../../etc/passwd'), expect: { status: [200, 400, 'closed'], reached: 'any' } },
  // methods
  ...['TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'OPTIONS', 'REPORT', 'LINK', 'SUBSCRIBE', 'M-SEARCH'].map(
    (method): HostileCase => ({ name: `${method} method`, send: req(method, chatPath), expect: notAllowed }),
  ),
  { name: 'TRACE with Max-Forwards: 0 and a body', send: req('TRACE', chatPath, ['Max-Forwards: 0'], chatBody), expect: notAllowed },
  {
    name: 'TRACE without a key',
    send: raw([`TRACE ${chatPath} HTTP/1.1`, 'Host: lb.test', 'Connection: close']),
    expect: { status: [401, 405, 400, 'closed'] },
  },
  { name: 'TRACK method', send: req('TRACK', chatPath), expect: notAllowed },
  { name: 'CONNECT to a host:port', send: raw(['CONNECT 127.0.0.1:22 HTTP/1.1', 'Host: 127.0.0.1:22', `api-key: ${clientKey}`]), expect: notAllowed },
  { name: 'CONNECT with a path target', send: req('CONNECT', chatPath), expect: notAllowed },
  { name: 'lower-case get', send: req('get', chatPath), expect: notAllowed },
  { name: 'mixed-case PoSt', send: req('PoSt', chatPath, [], chatBody), expect: notAllowed },
  { name: 'made-up method BREW', send: req('BREW', chatPath), expect: notAllowed },
  { name: 'method GET-X', send: req('GET-X', chatPath), expect: notAllowed },
  { name: 'method of 200 letters', send: req('G'.repeat(200), chatPath), expect: notAllowed },
  { name: 'HEAD is forwarded', send: req('HEAD', chatPath), head: true, expect: to(chatPath) },
  // protocols
  { name: 'HTTP/1.0 without Host or keep-alive', send: raw([`GET ${chatPath} HTTP/1.0`, `api-key: ${clientKey}`]), expect: { ...to(chatPath), closes: true } },
  {
    name: 'HTTP/1.0 with Connection: keep-alive, two requests',
    send: [
      raw([`GET ${chatPath} HTTP/1.0`, `api-key: ${clientKey}`, 'Connection: keep-alive']),
      { until: /x-aoai-lb-backend: 1[\s\S]*\}$/ },
      raw([`GET ${chatPath} HTTP/1.0`, `api-key: ${clientKey}`]),
    ],
    expect: { status: [200], reached: 'any', responses: 2, check: keptAliveOrClosed },
  },
  { name: 'HTTP/0.9 style request', send: 'GET /healthz\r\n', expect: { status: [400, 408, 'closed'] } },
  {
    name: 'HTTP/0.9 style request with a key line',
    send: `GET ${chatPath}\r\napi-key: ${clientKey}\r\n\r\n`,
    expect: {
      status: [200, 400, 408, 'closed'],
      reached: 'any',
      check: (o, requests) => assert.equal(requests.length, o.responses.filter((r) => r.status === 200).length),
    },
  },
  {
    name: 'HTTP/2 prior-knowledge preface',
    send: Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from('000000040000000000', 'hex')]),
    expect: { status: refused },
  },
  {
    name: 'Upgrade: h2c',
    send: get(chatPath, ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA']).replace(
      'Connection: close\r\n',
      '',
    ),
    expect: { status: [200, 400, 'closed'], reached: 'any', check: (o) => notSwitched(o.text) },
  },
  {
    name: 'Upgrade: websocket',
    send: get(chatPath, ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']).replace(
      'Connection: close\r\n',
      '',
    ),
    expect: { status: [200, 400, 426, 'closed'], reached: 'any', check: (o) => notSwitched(o.text) },
  },
  ...['HTTP/1.2', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', 'HTTPS/1.1', 'http/1.1', 'HTTP/1'].map((version): HostileCase => ({
    name: `version ${version}`,
    send: raw([`GET ${chatPath} ${version}`, 'Host: lb.test', `api-key: ${clientKey}`, 'Connection: close']),
    expect: { status: [200, 400, 505, 'closed'], reached: 'any' },
  })),
];

/** HTTP/1.0 keep-alive: both answered, or the first answer said it closes (a body of unknown length) and did. */
function keptAliveOrClosed(outcome: { closed: boolean; responses: Array<{ status: number; headers: Record<string, string> }> }, requests: unknown[]): void {
  assert.ok(outcome.responses.every((response) => response.status === 200));
  assert.equal(requests.length, outcome.responses.length, 'one backend request per answer');
  if (outcome.responses.length < 2)
    assert.ok(outcome.closed && /close/i.test(outcome.responses[0]?.headers.connection ?? ''), 'a connection closed without saying so');
}
function assertNotAPath(response: { status: number; body: string } | undefined): void {
  if (response?.status === 400 && response.body.length > 0) assert.match(response.body, /must be a path/);
}
function notSwitched(text: string): void {
  assert.doesNotMatch(text, /^HTTP\/1\.1 101/m, 'never switches protocols');
}
function noBackslashClimb(requests: Array<{ url: string }>): void {
  for (const request of requests) {
    assert.ok(request.url.startsWith(`${prefix}/`));
    const segments = request.url.split('?', 1)[0]!.split(/[\\/]/);
    assert.ok(!segments.includes('..'), `a backend that reads \\ as / would climb out of ${prefix}: ${request.url}`);
  }
}

describeHostile('hostile input: paths, methods, protocols', { env: { CLIENT_HEADER_TIMEOUT_SECONDS: '2', CLIENT_BODY_TIMEOUT_SECONDS: '1' } }, cases);
