/**
 * How long a backend asked us to wait, from its own signals. The first signal found wins, in the order
 * Azure OpenAI and its gateways send them: retry-after-ms, x-ms-retry-after-ms, Retry-After (seconds or
 * an HTTP date), x-ratelimit-reset-requests / -tokens (integer seconds), then "retry after N seconds" in
 * the error body. Zero, negative and unparsable values (the -1 / 0 sentinels of some APIs) are skipped.
 */

export type HeaderValue = string | string[] | undefined;
export type Headers = Record<string, HeaderValue>;

export interface ThrottleSignal {
  ms: number;
  source: string;
}

export function cooldownFromSignals(headers: Headers, body: string | undefined, nowMs: number): ThrottleSignal | undefined {
  const milliseconds = positive(first(headers['retry-after-ms'])) ?? undefined;
  if (milliseconds !== undefined) return { ms: milliseconds, source: 'retry-after-ms' };
  const msMilliseconds = positive(first(headers['x-ms-retry-after-ms']));
  if (msMilliseconds !== undefined) return { ms: msMilliseconds, source: 'x-ms-retry-after-ms' };
  const retryAfter = retryAfterMs(first(headers['retry-after']), nowMs);
  if (retryAfter !== undefined) return { ms: retryAfter, source: 'retry-after' };
  for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens', 'x-rate-limit-reset-tokens']) {
    const seconds = positive(first(headers[name]));
    if (seconds !== undefined) return { ms: seconds * 1000, source: name };
  }
  const fromBody = body === undefined ? undefined : /retry after (\d+(?:\.\d+)?) seconds?/i.exec(body);
  if (fromBody) {
    const seconds = positive(fromBody[1]);
    if (seconds !== undefined) return { ms: seconds * 1000, source: 'body' };
  }
  return undefined;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = positive(value);
  if (seconds !== undefined) return seconds * 1000;
  if (/^\s*-?\d/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  const delta = date - nowMs;
  return delta > 0 ? delta : undefined;
}

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function positive(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const number = Number(trimmed);
  return number > 0 ? number : undefined;
}
