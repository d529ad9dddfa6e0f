/**
 * Reads token usage from a response as it streams past, without holding the body: `usage` sits at the
 * end of a JSON completion and in the last chunks of a stream, so only the last chunks are kept (as
 * references, decoded once at the end).
 */
const tailBytes = 8192;

export class UsageTap {
  private chunks: Buffer[] = [];
  private kept = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0]!.length >= tailBytes) {
      this.kept -= this.chunks.shift()!.length;
    }
  }

  usage(): { promptTokens: number; completionTokens: number } | undefined {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.kept);
    const tail = joined.length > tailBytes ? joined.subarray(joined.length - tailBytes) : joined;
    const at = tail.lastIndexOf('"usage"');
    if (at === -1) return undefined;
    const section = tail.subarray(at, at + 600).toString('latin1');
    const prompt = /"prompt_tokens"\s*:\s*(\d+)/.exec(section);
    if (!prompt) return undefined;
    const completion = /"completion_tokens"\s*:\s*(\d+)/.exec(section);
    return { promptTokens: Number(prompt[1]), completionTokens: completion ? Number(completion[1]) : 0 };
  }
}
