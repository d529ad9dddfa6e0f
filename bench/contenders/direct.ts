/** No proxy: the client calls the backends itself, spreading its requests evenly (the physical limit). */
import { azurePath, type Contender } from './types.js';

export const direct: Contender = {
  name: 'direct',
  version: () => 'no proxy',
  describe: 'no proxy; with several backends the client spreads requests evenly over them and retries nothing',
  start({ backends, deployment }) {
    return Promise.resolve({
      pids: () => [],
      targets: (body) => backends.map((backend) => ({ origin: backend.url, path: azurePath(deployment), headers: { 'api-key': backend.apiKey }, body })),
      stop: () => Promise.resolve(),
    });
  },
};
