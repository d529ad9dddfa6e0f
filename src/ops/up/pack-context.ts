/**
 * Packs a Docker build context into a tar.gz as ACR Tasks expects it (what azd uploads): every file the
 * .dockerignore keeps, with a content tag that changes only when a packed file changes, so `up` rebuilds
 * and rolls a new revision exactly when the template changed.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { create } from 'tar';
import { dockerignoreMatcher } from './dockerignore.js';

export interface PackedContext {
  archive: Buffer;
  /** 12 hex characters of a hash over the packed files' paths and contents. */
  contentTag: string;
  files: string[];
}

export async function contextFiles(dir: string): Promise<string[]> {
  let ignoreText = '';
  try {
    ignoreText = await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const ignored = dockerignoreMatcher(ignoreText);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((path) => !path.startsWith('.git/') && !ignored(path))
    .sort();
}

export async function contentTag(dir: string, files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(await readFile(join(dir, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 12);
}

export async function packContext(dir: string): Promise<PackedContext> {
  const files = await contextFiles(dir);
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: dir, portable: true }, files);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { archive: Buffer.concat(chunks), contentTag: await contentTag(dir, files), files };
}
