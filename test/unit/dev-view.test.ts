import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDuration,
  formatTokens,
  renderDevView,
  renderStatusLine,
  renderSummary,
  shortHost,
  successRate,
  tokenLegend,
  visibleDeployments,
} from '../../src/ui/dev-view.js';
import type { DevSnapshot } from '../../src/ops/dev/snapshot.js';
import { connectionLines } from '../../src/ui/dev-output.js';
import { DEMO_TIME_SCALE, defaultDemoRps } from '../../src/ops/dev/demo-load.js';

type Backend = DevSnapshot['status']['backends'][number];
type Deployment = Backend['deployments'][number];

function deployment(fields: Partial<Deployment> & { deployment: string }): Deployment {
  return {
    state: 'healthy',
    cooldownRemainingMs: 0,
    remainingTokens: null,
    remainingRequests: null,
    requests: 0,
    throttled: 0,
    errors: 0,
    failovers: 0,
    promptTokens: 0,
    completionTokens: 0,
    ...fields,
  };
}

function backend(id: string, port: number, deployments: Deployment[], brokenRemainingMs = 0): Backend {
  return {
    id,
    url: `http://127.0.0.1:${port}/`,
    priority: 1,
    authentication: 'api-key',
    deploymentName: null,
    state: brokenRemainingMs > 0 ? 'broken' : 'healthy',
    brokenRemainingMs,
    deployments,
  };
}

const snapshot: DevSnapshot = {
  url: 'http://127.0.0.1:8080',
  status: {
    status: 'ok',
    uptimeSeconds: 83,
    responses: { '200': 215 },
    backends: [
      backend('1', 5001, [
        deployment({
          deployment: 'chat',
          state: 'cooling',
          cooldownRemainingMs: 3240,
          requests: 120,
          throttled: 7,
          failovers: 7,
          remainingTokens: 0,
          promptTokens: 2000,
          completionTokens: 2400,
        }),
      ]),
      backend('2', 5002, [deployment({ deployment: 'chat', requests: 95, remainingTokens: 12_345, promptTokens: 1500, completionTokens: 1900 })]),
      backend('3', 5003, [], 1500),
    ],
  },
  totals: { requests: 210, succeeded: 208, throttled: 1, failed: 1 },
  deployments: ['chat', 'embedding'],
  limits: { '1': { chat: 30_000, embedding: 30_000 }, '2': { chat: 30_000, embedding: 30_000 }, '3': { chat: 30_000, embedding: 30_000 } },
  demoLoad: { rps: 6.4, sent: 212, inFlight: 2, skipped: 0 },
};

describe('renderDevView', () => {
  const text = renderDevView(snapshot);
  const lines = text.split('\n');
  const row = (backendId: string, name: string): string => {
    const start = lines.findIndex((line) => line.startsWith(`${backendId} :`));
    const found = lines.slice(start, start + 2).find((line) => line.includes(` ${name} `));
    assert.ok(found, `row ${backendId}/${name} in\n${text}`);
    return found;
  };

  it('has a title with the URL, the uptime and the demo load', () => {
    assert.match(lines[0]!, /^aoai-lb dev {2}http:\/\/127\.0\.0\.1:8080 {2}up 1m 23s {2}demo load 6\.4 req\/s \(212 sent, 2 open\)$/);
  });

  it('shows one row per backend and deployment with state, counters and tokens', () => {
    assert.match(row('1', 'chat'), /chat\s+cooling 3\.2 s\s+120\s+7\s+7\s+0\s+0\/30\.0k\s+4\.40k$/);
    assert.match(row('1', 'embedding'), /embedding\s+healthy\s+0\s+0\s+0\s+0\s+–\/30\.0k\s+0$/);
    assert.match(row('2', 'chat'), /chat\s+healthy\s+95\s+0\s+0\s+0\s+12\.3k\/30\.0k\s+3\.40k$/);
  });

  it('marks every deployment of a broken backend broken, with the time left', () => {
    assert.match(row('3', 'chat'), /chat\s+broken 1\.5 s/);
    assert.match(row('3', 'embedding'), /embedding\s+broken 1\.5 s/);
  });

  it('names the columns the user reads', () => {
    assert.match(lines[2]!, /^backend\s+deployment\s+state\s+requests\s+429s absorbed\s+failovers\s+errors\s+tokens left\s+tokens used$/);
  });

  it('aligns the columns', () => {
    const tableLines = lines.slice(2, 2 + 1 + 6);
    const requestsEnd = tableLines[0]!.indexOf('requests') + 'requests'.length;
    for (const line of tableLines.slice(1)) assert.match(line.slice(requestsEnd - 3, requestsEnd), /^ *\d+$/, line);
  });

  it('ends with the client totals', () => {
    assert.match(text, /\nclients {2}210 requests {2}success 99\.0 % {2}429s: 7 absorbed, 1 seen by clients {2}other errors 1\n/);
  });

  it('has no escape codes without color, and colors the state with it', () => {
    const esc = '\u001b[';
    assert.ok(!text.includes(esc));
    const colored = renderDevView(snapshot, { color: true });
    assert.ok(colored.includes(`${esc}33mcooling 3.2 s`));
    assert.ok(colored.includes(`${esc}31mbroken 1.5 s`));
    assert.ok(colored.includes(`${esc}32mhealthy`));
  });

  it('says so when a backend has seen no traffic and no deployments are known (real backends)', () => {
    const bare: DevSnapshot = {
      ...snapshot,
      deployments: undefined,
      limits: undefined,
      demoLoad: undefined,
      status: { ...snapshot.status, backends: [backend('1', 5001, [])] },
    };
    const view = renderDevView(bare);
    assert.match(view, /1 :5001\s+\(no traffic yet\)\s+healthy/);
    assert.doesNotMatch(view, /demo load/);
  });

  it('fits 80 columns with a compact layout when the terminal is narrow', () => {
    const wide = renderDevView(snapshot, { width: 200 });
    assert.equal(wide, text);
    const narrow = renderDevView(snapshot, { width: 80, color: true });
    // eslint-disable-next-line no-control-regex
    const visible = narrow.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
    for (const line of visible) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    assert.match(visible[2]!, /^#\s+deploy\s+state\s+req\s+429s\s+fail\s+err\s+tokens left\s+used$/);
    assert.match(narrow, /\n1\s+chat\s+.*cooling 3\.2 s.*\s+120\s+7\s+7\s+0\s+0\/30\.0k\s+4\.40k\n/);
  });

  it('leaves out the Ctrl-C hint from the final frame', () => {
    assert.match(text, /Ctrl-C stops everything$/);
    assert.doesNotMatch(renderDevView(snapshot, { hint: false }), /Ctrl-C/);
  });

  it('shows a dash for the success rate before any request', () => {
    const idle = renderDevView({ ...snapshot, totals: { requests: 0, succeeded: 0, throttled: 0, failed: 0 } });
    assert.match(idle, /success – /);
  });
});

describe('shortHost', () => {
  it('keeps the port of local backends and the resource name of Azure ones', () => {
    assert.equal(shortHost('http://127.0.0.1:5001/'), ':5001');
    assert.equal(shortHost('https://my-openai-eastus.openai.azure.com/'), 'my-openai-eastus');
    assert.equal(shortHost('https://a-very-long-resource-name.openai.azure.com/'), 'a-very-long-reso');
  });

  it('fits the full layout in 110 columns', () => {
    for (const line of renderDevView(snapshot).split('\n')) assert.ok(line.length <= 110, `${line.length}: ${line}`);
  });
});

describe('renderStatusLine and renderSummary', () => {
  it('puts totals and each backend on one line', () => {
    assert.equal(
      renderStatusLine(snapshot),
      '[1m 23s] clients 210 req, success 99.0 %, 1 client 429s | #1 cooling 3.2 s 120 req 7×429 | #2 healthy 95 req 0×429 | #3 broken 0 req 0×429',
    );
  });

  it('summarises a run in one line', () => {
    assert.equal(
      renderSummary(snapshot),
      'aoai-lb dev stopped after 1m 23s: 210 client requests, success 99.0 %, 7 backend 429s absorbed, 1 429s reached clients.',
    );
    assert.equal(renderSummary(undefined), 'aoai-lb dev stopped.');
  });
});

describe('formatting helpers', () => {
  it('formats tokens, durations and rates', () => {
    assert.deepEqual([0, 999, 1234, 12_345, 30_000, 1_234_567].map(formatTokens), ['0', '999', '1.23k', '12.3k', '30.0k', '1.23M']);
    assert.deepEqual([0, 59, 60, 83, 3599, 3600, 7325].map(formatDuration), ['0s', '59s', '1m 00s', '1m 23s', '59m 59s', '1h 00m', '2h 02m']);
    assert.equal(successRate({ requests: 3, succeeded: 3, throttled: 0, failed: 0 }), '100 %');
    assert.equal(successRate({ requests: 3, succeeded: 2, throttled: 1, failed: 0 }), '66.7 %');
  });
});

describe('connectionLines', () => {
  it('prints copy-paste settings for both chat-app generations and the SDKs', () => {
    const text = connectionLines({
      url: 'http://127.0.0.1:8080',
      clientKey: 'k3y',
      backends: [{ id: '1', url: 'http://127.0.0.1:5001', simulated: true }],
      demoLoadRps: undefined,
      timeScale: 1,
    }).join('\n');
    assert.match(text, /^ {2}AZURE_OPENAI_CUSTOM_URL=http:\/\/127\.0\.0\.1:8080 /m);
    assert.match(text, /^ {2}AZURE_OPENAI_CUSTOM_URL=http:\/\/127\.0\.0\.1:8080\/openai\/v1 /m);
    assert.match(text, /AzureOpenAI\(azure_endpoint="http:\/\/127\.0\.0\.1:8080", api_key="k3y",\n\s+api_version="2024-10-21"\)/);
    assert.match(text, /OpenAI\(base_url="http:\/\/127\.0\.0\.1:8080\/openai\/v1", api_key="k3y"\)/);
    assert.match(text, /Simulated backends.*\n {2}1 {2}http:\/\/127\.0\.0\.1:5001/);
  });
});

describe('defaultDemoRps', () => {
  it('is the combined quota, and at least 1.5× one backend', () => {
    // 30K TPM at 200 tokens a request: 2.5 requests/s per backend.
    assert.equal(defaultDemoRps(3, 30_000, 1), 7.5);
    assert.equal(defaultDemoRps(1, 30_000, 1), 3.8);
    assert.equal(defaultDemoRps(3, 30_000, DEMO_TIME_SCALE), 75);
    assert.equal(defaultDemoRps(3, 1_000, 60), 15);
  });
});

describe('the demo on screen', () => {
  it('says how fast time runs, what the demo load is and how to get real time', () => {
    const text = connectionLines({
      url: 'http://127.0.0.1:8080',
      clientKey: 'k3y',
      backends: [{ id: '1', url: 'http://127.0.0.1:5001', simulated: true }],
      demoLoadRps: 75,
      timeScale: 10,
    }).join('\n');
    assert.match(text, /Simulated backends \(chat \+ embedding each, time ×10: a quota minute lasts 6 s\):/);
    assert.match(text, /^Demo load: 75 chat requests\/s, about the backends' combined quota:$/m);
    assert.match(text, /fails over \(first: ~6 s\)\.$/m);
    assert.match(text, /^Time runs ×10 to show it at once; --time-scale 1 for real-time quota windows\.$/m);
    for (const line of text.split('\n').filter((l) => !/^\s/.test(l) && !l.includes('127.0.0.1'))) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    assert.match(renderDevView({ ...snapshot, timeScale: 10 }).split('\n')[0]!, /up 1m 23s {2}time ×10 {2}demo load/);
  });

  it('explains tokens left against tokens used under the table', () => {
    const lines = renderDevView(snapshot, { hint: false }).split('\n');
    assert.deepEqual(lines.slice(-2), tokenLegend(false));
    assert.match(lines.at(-2)!, /^tokens left: TPM left in the backend's window\. Azure charges each request its$/);
    assert.match(lines.at(-1)!, /max_tokens when it admits it, so this falls faster than tokens used \(actual usage\)\.$/);
  });
});

describe('made-up deployment names', () => {
  // Clients may send any deployment name; each that reached the balancer has a row in its /status.
  const junk = Array.from({ length: 500 }, (_, i) => deployment({ deployment: `junk-${i}`, requests: 1, errors: 1 }));
  const crowded: DevSnapshot = {
    ...snapshot,
    status: {
      ...snapshot.status,
      backends: snapshot.status.backends.map((b, i) =>
        i === 0 ? { ...b, deployments: [...junk.slice(0, 200), deployment({ deployment: 'typo', requests: 9 }), ...b.deployments, ...junk.slice(200)] } : b,
      ),
    },
  };

  it('keep the real rows on an 80×24 screen, folded into one row per backend', () => {
    const visible = renderDevView(crowded, { width: 80, height: 24, color: true })
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n');
    assert.ok(visible.length <= 23, `${visible.length} lines leave no row for the cursor:\n${visible.join('\n')}`);
    for (const line of visible) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    for (const id of ['1', '2', '3']) {
      const start = visible.findIndex((line) => line.startsWith(`${id} `));
      assert.match(visible[start]!, /^\d\s+chat\s/, `backend ${id} starts with chat`);
      assert.match(visible[start + 1]!, /^\s+embedding\s/, `then embedding for backend ${id}`);
    }
    const folded = visible.find((line) => /\+\d+ other names/.test(line));
    assert.ok(folded, visible.join('\n'));
    const hidden = 500 + 1 - Number(/\+(\d+) other names/.exec(folded)![1]);
    assert.ok(hidden >= 1, 'the most used made-up name ("typo") gets its own row before the fold');
    assert.ok(visible.some((line) => /^\s+typo\s/.test(line)));
  });

  it('fold their counters into the "+N other names" row', () => {
    const { shown, folded } = visibleDeployments(crowded.status.backends[0]!, ['chat', 'embedding'], 4);
    assert.deepEqual(
      shown.map((d) => d.deployment),
      ['chat', 'embedding', 'typo'],
    );
    assert.equal(folded.length, 500);
    const row = renderDevView(crowded, { height: 8 + 1 + 3 * 4 })
      .split('\n')
      .find((line) => line.includes('+500 other names'));
    assert.match(row!, /\+500 other names\s+500\s+0\s+0\s+500\s+0$/);
  });

  it('are all listed when the screen has room', () => {
    assert.equal(visibleDeployments(crowded.status.backends[0]!, ['chat', 'embedding'], Infinity).folded.length, 0);
  });
});
