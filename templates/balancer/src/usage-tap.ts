/**
 * Reads token usage from a response as it streams past, without holding the body: `usage` sits at the
 * end of a JSON completion and in the last chunks of a stream, so only the tail is kept.
 */
const tailBytes = 8192;

export class UsageTap {
  private tail = '';

  push(chunk: Buffer): void {
    const text = chunk.length > tailBytes ? chunk.subarray(chunk.length - tailBytes).toString('latin1') : chunk.toString('latin1');
    this.tail = this.tail.length + text.length > tailBytes ? (this.tail + text).slice(-tailBytes) : this.tail + text;
  }

  usage(): { promptTokens: number; completionTokens: number } | undefined {
    const at = this.tail.lastIndexOf('"usage"');
    if (at === -1) return undefined;
    const section = this.tail.slice(at, at + 600);
    const prompt = /"prompt_tokens"\s*:\s*(\d+)/.exec(section);
    if (!prompt) return undefined;
    const completion = /"completion_tokens"\s*:\s*(\d+)/.exec(section);
    return { promptTokens: Number(prompt[1]), completionTokens: completion ? Number(completion[1]) : 0 };
  }
}
