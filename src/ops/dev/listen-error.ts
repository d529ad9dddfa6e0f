/** A listen failure on dev's port, as the user can fix it: another port. */
import { ExitCode, UserError } from '../../core/errors.js';

export function listenError(settings: { host: string; port: number }, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return error;
  return new UserError(
    'port-in-use',
    `cannot listen on ${settings.host}:${settings.port}: ${code === 'EADDRINUSE' ? 'the port is already in use' : 'permission denied'}`,
    {
      suggestion: `stop whatever uses port ${settings.port}, or choose another with --port <n> (--port 0 picks a free one)`,
      exitCode: ExitCode.usage,
      cause: error,
    },
  );
}
