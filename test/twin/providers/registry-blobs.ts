// The Azure Blob endpoint ACR Tasks hands out SAS URLs for, served by the twin's HTTPS server under
// /__blob/{container}/{path}: the source upload (PUT, x-ms-blob-type: BlockBlob → 201) and the run log
// (an append blob: HEAD/GET with Range or x-ms-range → 206, `x-ms-meta-Complete` once the run ended),
// with the headers and the 404 BlobNotFound the azd recording shows. Requests need a valid SAS (sig, se, sp).
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const BLOB_PREFIX = '/__blob/';
const VERSION = '2025-11-05';

export interface Blob {
  data: Buffer;
  type: 'BlockBlob' | 'AppendBlob';
  metadata: Record<string, string>;
  created: Date;
  modified: Date;
  etag: string;
}

export interface BlobResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer;
}

export class BlobStore {
  readonly blobs = new Map<string, Blob>();
  private readonly secret = randomBytes(32);

  /** A SAS URL for `path` (`container/…`) with permissions `sp` (cw for uploads, r for logs). */
  sasUrl(baseUrl: string, path: string, sp: string, ttlMs = 3600e3): string {
    const se = new Date(Date.now() + ttlMs).toISOString().replace(/\.\d+Z$/, 'Z');
    const q = new URLSearchParams({ se, sig: this.sign(path, sp, se), sp, sr: 'b', sv: '2024-11-04' });
    return `${baseUrl}${BLOB_PREFIX}${path.split('/').map(encodeURIComponent).join('/')}?${q.toString()}`;
  }

  get(path: string): Blob | undefined {
    return this.blobs.get(path);
  }

  /** Appends to an append blob (the run log), creating it on first write. */
  append(path: string, text: string): void {
    const now = new Date();
    const blob = this.blobs.get(path) ?? { data: Buffer.alloc(0), type: 'AppendBlob' as const, metadata: {}, created: now, modified: now, etag: '' };
    blob.data = Buffer.concat([blob.data, Buffer.from(text, 'utf8')]);
    blob.modified = now;
    blob.etag = newEtag();
    this.blobs.set(path, blob);
  }

  setMetadata(path: string, name: string, value: string): void {
    const blob = this.blobs.get(path);
    if (blob) blob.metadata[name] = value;
  }

  /** Answers a request under /__blob/, or undefined when the path is not the blob endpoint's. */
  handle(method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer): BlobResponse | undefined {
    if (!url.pathname.startsWith(BLOB_PREFIX)) return undefined;
    const path = url.pathname.slice(BLOB_PREFIX.length).split('/').map(decodeURIComponent).join('/');
    const base = {
      'x-ms-request-id': randomUUID(),
      'x-ms-version': VERSION,
      Server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
      Date: new Date().toUTCString(),
    };
    const error = (status: number, code: string, message: string): BlobResponse => {
      const xml = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${base['x-ms-request-id']}\nTime:${new Date().toISOString()}</Message></Error>`;
      const payload = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(xml, 'utf8');
      return {
        status,
        headers: { ...base, 'x-ms-error-code': code, 'Content-Type': 'application/xml', 'Content-Length': String(payload.length) },
        body: payload,
      };
    };
    const sp = url.searchParams.get('sp') ?? '';
    const se = url.searchParams.get('se') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    if (!sig || sig !== this.sign(path, sp, se) || Date.parse(se) < Date.now()) {
      return error(
        403,
        'AuthenticationFailed',
        'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
      );
    }
    if (method === 'PUT') {
      if (!/[cw]/.test(sp))
        return error(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.');
      const type = String(headers['x-ms-blob-type'] ?? '');
      if (type !== 'BlockBlob') {
        return error(400, 'MissingRequiredHeader', "An HTTP header that's mandatory for this request is not specified.");
      }
      const now = new Date();
      const etag = newEtag();
      this.blobs.set(path, { data: body, type: 'BlockBlob', metadata: {}, created: now, modified: now, etag });
      return {
        status: 201,
        headers: {
          ...base,
          'Content-Length': '0',
          'Content-MD5': createHash('md5').update(body).digest('base64'),
          ETag: etag,
          'Last-Modified': now.toUTCString(),
          'x-ms-request-server-encrypted': 'true',
        },
      };
    }
    if (method !== 'GET' && method !== 'HEAD') return error(405, 'UnsupportedHttpVerb', "The resource doesn't support specified Http Verb.");
    if (!sp.includes('r'))
      return error(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.');
    const blob = this.blobs.get(path);
    if (!blob) return error(404, 'BlobNotFound', 'The specified blob does not exist.');
    const props: Record<string, string> = {
      ...base,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'text/plain; charset=utf-8',
      ETag: blob.etag,
      'Last-Modified': blob.modified.toUTCString(),
      'x-ms-blob-type': blob.type,
      'x-ms-creation-time': blob.created.toUTCString(),
      'x-ms-lease-state': 'available',
      'x-ms-lease-status': 'unlocked',
      'x-ms-server-encrypted': 'true',
    };
    if (blob.type === 'AppendBlob') props['x-ms-blob-committed-block-count'] = String(Math.max(1, Math.ceil(blob.data.length / 256)));
    for (const [k, v] of Object.entries(blob.metadata)) props[`x-ms-meta-${k}`] = v;
    const range = String(headers['x-ms-range'] ?? headers.range ?? '');
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (method === 'HEAD' || !m) {
      return { status: 200, headers: { ...props, 'Content-Length': String(blob.data.length) }, body: method === 'HEAD' ? undefined : blob.data };
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : blob.data.length - 1, blob.data.length - 1);
    if (start >= blob.data.length) {
      return {
        ...error(416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.'),
        headers: { ...base, 'Content-Range': `bytes */${blob.data.length}`, 'Content-Length': '0' },
        body: Buffer.alloc(0),
      };
    }
    const slice = blob.data.subarray(start, end + 1);
    return {
      status: 206,
      headers: { ...props, 'Content-Length': String(slice.length), 'Content-Range': `bytes ${start}-${end}/${blob.data.length}` },
      body: slice,
    };
  }

  private sign(path: string, sp: string, se: string): string {
    return createHmac('sha256', this.secret).update(`${path}\n${sp}\n${se}`).digest('base64');
  }
}

const newEtag = () => `"0x8DE${randomBytes(6).toString('hex').toUpperCase().slice(0, 11)}"`;
