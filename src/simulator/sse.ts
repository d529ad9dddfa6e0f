/**
 * The Azure flavour of chat streaming (aoai-data-plane.md §3.4), written over time with back-pressure.
 *
 * Event order: an empty-identity event carrying `prompt_filter_results` and `choices: []`; a chunk whose
 * delta has the role; one chunk per completion token; a final chunk per choice with `finish_reason` and
 * `delta: {}`; a usage chunk with `choices: []` if `stream_options.include_usage`; then `data: [DONE]`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';
import { completionToken } from './text.js';
import { promptFilterResults, SYSTEM_FINGERPRINT, usage, type ChatResult } from './responses.js';

export function sseEvent(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** Resolves after `ms`, or at once when the signal aborts; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Writes, waiting for 'drain' when the socket buffer is full. Resolves false if the client went away. */
export async function writeWithBackpressure(res: ServerResponse, chunk: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
  return !signal.aborted && !res.destroyed;
}

export interface StreamPlan {
  result: ChatResult;
  includeUsage: boolean;
  firstTokenMs: number;
  perTokenMs: number;
}

function chunk(result: ChatResult, choices: unknown[], usageValue: unknown = null): unknown {
  return {
    choices,
    created: result.created,
    id: result.id,
    model: result.model,
    object: 'chat.completion.chunk',
    system_fingerprint: SYSTEM_FINGERPRINT,
    usage: usageValue,
  };
}

/** The events of a stream, in order; `delayBefore` is the pause before each. */
export function* streamEvents(plan: StreamPlan): Generator<{ data: unknown; delayBefore: number }> {
  const { result } = plan;
  yield { data: { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilterResults() }, delayBefore: 0 };
  const choices = Array.from({ length: result.choices }, (_, index) => index);
  yield {
    data: chunk(
      result,
      choices.map((index) => ({ delta: { content: '', refusal: null, role: 'assistant' }, finish_reason: null, index, logprobs: null })),
    ),
    delayBefore: plan.firstTokenMs,
  };
  for (let token = 0; token < result.completionTokens; token++) {
    yield {
      data: chunk(
        result,
        choices.map((index) => ({ delta: { content: completionToken(token) }, finish_reason: null, index, logprobs: null })),
      ),
      delayBefore: token === 0 ? 0 : plan.perTokenMs,
    };
  }
  for (const index of choices) {
    yield {
      data: chunk(result, [{ delta: {}, finish_reason: result.finishReason, index, logprobs: null }]),
      delayBefore: index === 0 ? plan.perTokenMs : 0,
    };
  }
  if (plan.includeUsage) yield { data: chunk(result, [], usage(result)), delayBefore: 0 };
  yield { data: '[DONE]', delayBefore: 0 };
}

/**
 * Writes the stream (headers must already be set). Stops when the client goes away, or after
 * `stopAfterEvents` events (then destroys the socket: the midstream-reset fault). Resolves when done.
 */
export async function writeStream(res: ServerResponse, plan: StreamPlan, signal: AbortSignal, stopAfterEvents?: number): Promise<void> {
  let written = 0;
  for (const event of streamEvents(plan)) {
    await sleep(event.delayBefore, signal);
    const data = sseEvent(event.data);
    if (stopAfterEvents !== undefined && written + 1 >= stopAfterEvents) {
      // The midstream-reset fault: let this event reach the client, then drop the connection.
      await new Promise<void>((resolve) => {
        if (signal.aborted || res.destroyed) resolve();
        else res.write(data, () => resolve());
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      res.destroy();
      return;
    }
    if (!(await writeWithBackpressure(res, data, signal))) return;
    written++;
  }
  res.end();
}
