/** Deterministic generated content: completion text and embedding vectors. */

const WORDS = (
  'This is a simulated response from the local Azure OpenAI simulator. It stands in for a real deployment ' +
  'so that load balancers, retries and streaming can be tested without spending quota. The words repeat ' +
  'in a fixed order, one word per token, so every run produces the same text.'
).split(' ');

/** The i-th token of a completion: a word, with a leading space after the first. */
export function completionToken(index: number): string {
  const word = WORDS[index % WORDS.length]!;
  return index === 0 ? word : ` ${word}`;
}

/** A completion of `tokens` tokens. */
export function completionText(tokens: number): string {
  let text = '';
  for (let i = 0; i < tokens; i++) text += completionToken(i);
  return text;
}

/** Embedding width by model name; `dimensions` in the request overrides it for text-embedding-3-*. */
export function embeddingDimensions(model: string, requested: unknown): number {
  if (typeof requested === 'number' && Number.isInteger(requested) && requested > 0 && requested <= 3072) return requested;
  return model.includes('3-large') ? 3072 : 1536;
}

/** FNV-1a of a string, as a 32-bit seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A unit-length vector that depends only on the input and the width. */
export function embeddingVector(input: unknown, dimensions: number): number[] {
  let state = hash(typeof input === 'string' ? input : JSON.stringify(input)) || 1;
  const vector = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const value = state / 0xffffffff - 0.5;
    vector[i] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  // Float32 precision, as the service returns.
  return vector.map((value) => Math.fround(value * scale));
}

/** The vector as base64 of little-endian float32, the SDK's default `encoding_format`. */
export function embeddingBase64(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer.toString('base64');
}
