/** Shared helpers for the simulator tests (not a test file itself). */
import { setTimeout as delay } from 'node:timers/promises';

export const API_VERSION = '2024-10-21';

export function chatUrl(base: string, deployment = 'chat', apiVersion: string | null = API_VERSION): string {
  const query = apiVersion === null ? '' : `?api-version=${apiVersion}`;
  return `${base}/openai/deployments/${deployment}/chat/completions${query}`;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const hello = { messages: [{ role: 'user' as const, content: 'Hello there!' }] };

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** Splits a raw SSE body into the `data:` payloads, checking the framing on the way. */
export function sseData(raw: string): string[] {
  if (!raw.endsWith('\n\n')) throw new Error('an SSE body ends with a blank line');
  return raw
    .slice(0, -2)
    .split('\n\n')
    .map((event) => {
      if (!event.startsWith('data: ') || event.includes('\n')) throw new Error(`not a single data line: ${JSON.stringify(event)}`);
      return event.slice('data: '.length);
    });
}
