/** The LiteLLM router defaults bench/litellm-like.ts models (docs.litellm.ai/docs/routing: Cooldowns, Retries). */
export const litellmDefaults = { routingStrategy: 'simple-shuffle', numRetries: 2, allowedFails: 3, cooldownSeconds: 5 } as const;
