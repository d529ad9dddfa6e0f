/**
 * Response bodies and headers, as AOAI sends them (aoai-data-plane.md §2–§3). Pure: no I/O.
 */
import { randomUUID } from 'node:crypto';
import type { LimiterSnapshot, LimitReason } from './rate-limiter.js';
import type { Operation } from './cost.js';

export type Headers = Record<string, string>;

export interface ErrorResponse {
  status: number;
  body: unknown;
}

export const errors = {
  resourceNotFound: (): ErrorResponse => ({ status: 404, body: { error: { code: '404', message: 'Resource not found' } } }),
  deploymentNotFound: (): ErrorResponse => ({
    status: 404,
    body: {
      error: {
        code: 'DeploymentNotFound',
        message:
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      },
    },
  }),
  badKey: (): ErrorResponse => ({
    status: 401,
    body: {
      error: {
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      },
    },
  }),
  badToken: (): ErrorResponse => ({
    status: 401,
    body: {
      statusCode: 401,
      message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.',
    },
  }),
  /** OpenAI's wording for a body that is not JSON, which AOAI passes on (low confidence: no AOAI capture). */
  invalidJson: (): ErrorResponse => ({
    status: 400,
    body: {
      error: {
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    },
  }),
  invalidRequest: (message: string, param: string | null = null): ErrorResponse => ({
    status: 400,
    body: { error: { message, type: 'invalid_request_error', param, code: null } },
  }),
  operationNotSupported: (operation: Operation, model: string): ErrorResponse => ({
    status: 400,
    body: {
      error: {
        code: 'OperationNotSupported',
        message: `The ${operation === 'chat' ? 'chatCompletion' : 'embeddings'} operation does not work with the specified model, ${model}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
      },
    },
  }),
  tooLarge: (limit: number): ErrorResponse => ({
    status: 413,
    body: { error: { code: 'RequestEntityTooLarge', message: `The request body is larger than the ${limit} bytes this endpoint accepts.` } },
  }),
  serverError: (requestId: string): ErrorResponse => ({
    status: 500,
    body: {
      error: {
        message: `The server had an error processing your request. Sorry about that! You can retry your request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error. (Please include the request ID ${requestId} in your email.)`,
        type: 'server_error',
        param: null,
        code: null,
      },
    },
  }),
  /** Low confidence (aoai-data-plane.md §3.3): the message is known only from client code. */
  serviceUnavailable: (): ErrorResponse => ({
    status: 503,
    body: { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unable to process your request. Please try again later.' } },
  }),
};

export interface RateLimitContext {
  deployment: string;
  model: string;
  region: string;
  operation: Operation;
  /** The dated api-version, or undefined on v1 routes. */
  apiVersion: string | undefined;
  reason: LimitReason;
  retryAfterSeconds: number;
  wording: 'current' | 'legacy';
}

const OPERATION_IDS: Record<Operation, string> = { chat: 'ChatCompletions_Create', embeddings: 'Embeddings_Create' };

/** The 429 body in either generation of wording (aoai-data-plane.md §2.1). */
export function rateLimitBody(ctx: RateLimitContext): unknown {
  const limit = ctx.reason === 'tokens' ? 'token' : 'call';
  const operation = OPERATION_IDS[ctx.operation];
  const api = ctx.apiVersion === undefined ? 'OpenAI Language Model Instance API' : `Azure OpenAI API version ${ctx.apiVersion}`;
  if (ctx.wording === 'legacy') {
    return {
      error: {
        code: '429',
        message: `Requests to the ${operation} Operation under ${api} have exceeded ${limit} rate limit of your current OpenAI S0 pricing tier. Please retry after ${ctx.retryAfterSeconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
      },
    };
  }
  return {
    error: {
      code: 'RateLimitReached',
      message: `Your requests to ${ctx.deployment} for ${ctx.model} in ${ctx.region} have exceeded the ${limit} rate limit for your current OpenAI S0 pricing tier. This request was for ${operation} under ${api}. Please retry after ${ctx.retryAfterSeconds} seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease.`,
    },
  };
}

/** Identity headers every data-plane response carries. */
export function baseHeaders(requestId: string, region: string): Headers {
  return {
    'apim-request-id': requestId,
    'x-request-id': requestId,
    'x-ms-region': region,
    'x-content-type-options': 'nosniff',
    'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
  };
}

/** Rate headers on a 200 (aoai-data-plane.md §2.3). */
export function successRateHeaders(snapshot: LimiterSnapshot): Headers {
  return {
    'x-ratelimit-limit-requests': String(snapshot.limitRequests),
    'x-ratelimit-limit-tokens': String(snapshot.limitTokens),
    'x-ratelimit-remaining-requests': String(snapshot.remainingRequests),
    'x-ratelimit-remaining-tokens': String(snapshot.remainingTokens),
  };
}

/** Headers on a 429 (aoai-data-plane.md §2.2): retry values in real seconds/milliseconds. */
export function rateLimitHeaders(snapshot: LimiterSnapshot, reason: LimitReason, retryAfterMs: number): Headers {
  const seconds = retryAfterSeconds(retryAfterMs);
  return {
    'retry-after': String(seconds),
    'retry-after-ms': String(Math.ceil(retryAfterMs)),
    [reason === 'tokens' ? 'x-ratelimit-reset-tokens' : 'x-ratelimit-reset-requests']: String(seconds),
    'x-ratelimit-remaining-requests': String(snapshot.remainingRequests),
    'x-ratelimit-remaining-tokens': String(snapshot.remainingTokens),
  };
}

/** Integer seconds, rounded up, at least 1 (a client that waits this long succeeds). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

const SAFE = { filtered: false, severity: 'safe' };

export function promptFilterResults(): unknown[] {
  return [
    {
      prompt_index: 0,
      content_filter_results: { hate: SAFE, jailbreak: { filtered: false, detected: false }, self_harm: SAFE, sexual: SAFE, violence: SAFE },
    },
  ];
}

export function choiceFilterResults(): unknown {
  return {
    hate: SAFE,
    protected_material_code: { filtered: false, detected: false },
    protected_material_text: { filtered: false, detected: false },
    self_harm: SAFE,
    sexual: SAFE,
    violence: SAFE,
  };
}

export function newRequestId(): string {
  return randomUUID();
}

export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 29)}`;
}

export const SYSTEM_FINGERPRINT = 'fp_sim0000001';

export interface ChatResult {
  id: string;
  created: number;
  model: string;
  text: string;
  choices: number;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

export function usage(result: ChatResult): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const completion = result.completionTokens * result.choices;
  return { prompt_tokens: result.promptTokens, completion_tokens: completion, total_tokens: result.promptTokens + completion };
}

export function chatCompletionBody(result: ChatResult): unknown {
  return {
    id: result.id,
    object: 'chat.completion',
    created: result.created,
    model: result.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    prompt_filter_results: promptFilterResults(),
    choices: Array.from({ length: result.choices }, (_, index) => ({
      index,
      finish_reason: result.finishReason,
      logprobs: null,
      message: { role: 'assistant', content: result.text, refusal: null },
      content_filter_results: choiceFilterResults(),
    })),
    usage: usage(result),
  };
}

export function embeddingsBody(model: string, embeddings: (number[] | string)[], tokens: number): unknown {
  return {
    object: 'list',
    data: embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
