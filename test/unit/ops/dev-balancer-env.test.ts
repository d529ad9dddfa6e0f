import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancerEnv, type DevSettings } from '../../../src/ops/dev/index.js';

const settings: DevSettings = {
  backends: 1,
  tpm: 30_000,
  host: '127.0.0.1',
  port: 0,
  timeScale: 10,
  demoLoadRps: undefined,
  realBackends: [],
  clientKey: undefined,
  replicas: 1,
};
const simulated = [{ info: { id: '1', url: 'http://127.0.0.1:5000', simulated: true }, apiKey: 'k', simulator: undefined }];

test("dev gives the balancer the simulators' request window: 10 s divided by the time scale", () => {
  assert.equal(balancerEnv(settings, simulated, 'client', {}).REQUEST_WINDOW_SECONDS, '1');
  assert.equal(balancerEnv({ ...settings, timeScale: 1 }, simulated, 'client', {}).REQUEST_WINDOW_SECONDS, '10');
  assert.equal(balancerEnv(settings, simulated, 'client', { REQUEST_WINDOW_SECONDS: '3' }).REQUEST_WINDOW_SECONDS, '3', "the user's own setting wins");
});

test('in front of real backends the window is left to the balancer (Azure keeps real time)', () => {
  const real = { ...settings, realBackends: [{ url: 'https://one.openai.azure.com/', apiKey: 'k' }] };
  assert.equal(balancerEnv(real, simulated, 'client', {}).REQUEST_WINDOW_SECONDS, undefined);
});
