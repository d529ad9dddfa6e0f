/**
 * The two blob operations a remote build needs, over a SAS URL: upload the packed context (BlockBlob PUT)
 * and follow the run's log (an AppendBlob that grows until its `x-ms-meta-complete` metadata appears).
 */
import { httpFetch } from '../core/http.js';

export async function putBlockBlob(sasUrl: string, body: Buffer): Promise<void> {
  const response = await httpFetch(sasUrl, {
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/octet-stream', 'x-ms-version': '2021-08-06' },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 201)
    throw new Error(`uploading the build context failed: HTTP ${response.status} ${response.headers.get('x-ms-error-code') ?? ''}`.trim());
}

export interface LogFollowOptions {
  intervalMs: number;
  /** Called with each new chunk of log text. */
  onText: (text: string) => void;
  /** Stops following early (the run ended without completing its log, or the caller gave up). */
  shouldStop?: () => Promise<boolean>;
}

/** Reads the log blob as it grows; resolves with the `complete` metadata value (e.g. "successful"). */
export async function followLogBlob(sasUrl: string, options: LogFollowOptions): Promise<string | undefined> {
  let offset = 0;
  for (;;) {
    const head = await httpFetch(sasUrl, { method: 'HEAD', headers: { 'x-ms-version': '2021-08-06' } });
    if (head.status === 200) {
      const length = Number(head.headers.get('content-length') ?? '0');
      if (length > offset) {
        const part = await httpFetch(sasUrl, { headers: { 'x-ms-version': '2021-08-06', range: `bytes=${offset}-${length - 1}` } });
        const bytes = Buffer.from(await part.arrayBuffer());
        if (part.status === 200 || part.status === 206) {
          offset += bytes.length;
          options.onText(bytes.toString('utf8'));
        }
        continue;
      }
      const complete = head.headers.get('x-ms-meta-complete');
      if (complete) return complete;
    } else if (head.status !== 404) {
      throw new Error(`reading the build log failed: HTTP ${head.status}`);
    }
    if (options.shouldStop && (await options.shouldStop())) return undefined;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
