/** aoai-lb: the built balancer (templates/balancer/dist/main.js) with its defaults, as bench/servers.ts starts it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientKey, repoRoot, startBalancer } from '../servers.js';
import { azurePath, type Contender } from './types.js';

export const aoaiLb: Contender = {
  name: 'aoai-lb',
  version: () => (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version,
  describe: 'templates/balancer/dist/main.js, defaults except HTTP_TIMEOUT_SECONDS (the shared upstream timeout); client api-key checked',
  async start({ backends, deployment, upstreamTimeoutMs }) {
    const server = await startBalancer({ backends, env: { HTTP_TIMEOUT_SECONDS: String(upstreamTimeoutMs / 1000) } });
    return {
      pids: () => [server.process.pid],
      targets: (body) => [{ origin: server.url, path: azurePath(deployment), headers: { 'api-key': clientKey }, body }],
      stop: () => server.stop(),
    };
  },
};
