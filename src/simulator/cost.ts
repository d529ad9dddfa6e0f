/**
 * Pure token arithmetic: the admission estimate that AOAI charges against the TPM window, and the
 * character-based counts used in `usage`. See aoai-data-plane.md §1.2.
 *
 * Chat: `max_tokens` (or `max_completion_tokens`) × max(n, 1) if present, else 16 — the gpt-3.5-turbo
 * measurements (stuartleeks/aoai-testing). The prompt is not part of the estimate for this model family.
 * Embeddings: ceil(chars / 4) per input, summed; token-array inputs count one per token.
 */

/** What a chat request without max_tokens is charged (measured on gpt-3.5-turbo). */
export const DEFAULT_CHAT_ESTIMATE = 16;

export type Operation = 'chat' | 'embeddings';

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

/** The number of choices asked for (n), at least 1. */
export function choiceCount(body: Record<string, unknown>): number {
  return Math.max(positiveInteger(body.n) ?? 1, 1);
}

/** `max_tokens`, else `max_completion_tokens`, else undefined. */
export function maxTokens(body: Record<string, unknown>): number | undefined {
  return positiveInteger(body.max_tokens) ?? positiveInteger(body.max_completion_tokens);
}

export function estimateChatCost(body: Record<string, unknown>): number {
  const max = maxTokens(body);
  return max === undefined ? DEFAULT_CHAT_ESTIMATE : max * choiceCount(body);
}

/** ceil(chars/4) for one embeddings input: a string, or a token array (one per token). */
function inputTokens(input: unknown): number {
  if (typeof input === 'string') return Math.ceil(input.length / 4);
  if (Array.isArray(input)) return input.length;
  return 0;
}

/** Inputs as a list: a lone string or token array is one input. */
export function embeddingInputs(input: unknown): unknown[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'number')) return [input];
  return Array.isArray(input) ? input : [];
}

export function estimateEmbeddingsCost(body: Record<string, unknown>): number {
  return embeddingInputs(body.input).reduce<number>((sum, input) => sum + inputTokens(input), 0);
}

export function estimateCost(operation: Operation, body: Record<string, unknown>): number {
  return operation === 'chat' ? estimateChatCost(body) : estimateEmbeddingsCost(body);
}

/** Text of a message's content: a string, or an array of parts whose `text` fields are joined. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part !== null && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
    .join('');
}

/** prompt_tokens for `usage`: ceil(chars/4) over the messages' content, at least 1. */
export function promptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 1;
  const chars = messages.reduce<number>((sum, message) => {
    const content = message !== null && typeof message === 'object' ? (message as { content?: unknown }).content : undefined;
    return sum + contentText(content).length;
  }, 0);
  return Math.max(1, Math.ceil(chars / 4));
}

/** Completion length: min(max_tokens, the configured default). */
export function completionLength(body: Record<string, unknown>, defaultTokens: number): number {
  const max = maxTokens(body);
  return max === undefined ? defaultTokens : Math.min(max, defaultTokens);
}
