/** aoai-lb: the built balancer (templates/balancer/dist/main.js) with its defaults, as bench/servers.ts starts it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientKey, repoRoot, startBalancer } from '../servers.js';
import { azurePath, requestWindowSeconds, type Contender } from './types.js';

export const aoaiLb: Contender = {
  name: 'aoai-lb',
  version: () => (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version,
  describe:
    "templates/balancer/dist/main.js, defaults except HTTP_TIMEOUT_SECONDS (the shared upstream timeout) and REQUEST_WINDOW_SECONDS (10 / the simulators' time scale, their request window); client api-key checked",
  async start({ backends, deployment, upstreamTimeoutMs, timeScale }) {
    const server = await startBalancer({
      backends,
      env: { HTTP_TIMEOUT_SECONDS: String(upstreamTimeoutMs / 1000), REQUEST_WINDOW_SECONDS: requestWindowSeconds(timeScale) },
    });
    return {
      pids: () => [server.process.pid],
      targets: (body) => [{ origin: server.url, path: azurePath(deployment), headers: { 'api-key': clientKey }, body }],
      stop: () => server.stop(),
    };
  },
};
