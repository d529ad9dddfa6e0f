/** Every setting's default, in its own module so the CLI's --help can show them without loading the balancer. */

export type LogFormat = 'text' | 'json';

/** Every setting with its default, in the order README documents them. */
export const defaults = {
  HOST: '0.0.0.0',
  PORT: 8080,
  HTTP_TIMEOUT_SECONDS: 100,
  MAX_BODY_BYTES: 32 * 1024 * 1024,
  CLIENT_HEADER_TIMEOUT_SECONDS: 30,
  CLIENT_BODY_TIMEOUT_SECONDS: 30,
  DEFAULT_COOLDOWN_SECONDS: 10,
  MAX_COOLDOWN_SECONDS: 60,
  CIRCUIT_BASE_SECONDS: 2,
  REQUEST_WINDOW_SECONDS: 10,
  LOG_FORMAT: 'text' as LogFormat,
};
