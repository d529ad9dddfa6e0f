/** Which environment a command works on: --env, else the project's default, else a clear error. */
import { UserError } from '../core/errors.js';
import { EnvStore, missingEnvironment, validateEnvName } from './store.js';

export interface ResolvedEnv {
  store: EnvStore;
  name: string;
}

export async function resolveEnvironment(projectDir: string, requested: string | undefined, { mustExist = true } = {}): Promise<ResolvedEnv> {
  const store = new EnvStore(projectDir);
  const name = requested ?? (await store.defaultEnvironment());
  if (name === undefined) {
    const existing = await store.list();
    throw new UserError('env-not-selected', 'no environment selected, and --env was not given.', {
      suggestion:
        existing.length > 0
          ? `pass --env <name> (existing: ${existing.join(', ')}), or make one the default with \`aoai-lb env select <name>\``
          : 'create one with `aoai-lb env new <name>` (or pass --env <name> to `aoai-lb up`)',
    });
  }
  validateEnvName(name);
  if (mustExist && !(await store.exists(name))) throw missingEnvironment(name);
  return { store, name };
}
