// The build context as ACR Tasks gets it: a tar.gz. Extraction uses the system `tar` (the `tar` npm
// package is not installed in node_modules). `packContext` packs a directory the way azd does (honours
// .dockerignore, skips .git) for tests and later sessions.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TAR = process.env.TAR ?? 'tar';

/** Extracts a tar.gz buffer into `dir` (refusing absolute paths and `..`, as tar does by default). */
export async function extractTarGz(archive: Buffer, dir: string): Promise<void> {
  const file = join(dir, '..', `${Date.now()}-${Math.random().toString(36).slice(2)}.tar.gz`);
  await writeFile(file, archive);
  try {
    await run(TAR, ['-xzf', file, '-C', dir, '--no-same-owner', '--no-same-permissions'], { maxBuffer: 16 * 1024 * 1024 });
  } finally {
    await rm(file, { force: true });
  }
}

/** A matcher for .dockerignore lines (Go filepath.Match per segment, `**`, `!` exceptions; last match wins). */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
      const source = pattern
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '.*'
            : seg
                .replace(/[.+^${}()|\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/');
      return { negate, re: new RegExp(`^${source.replace(/\.\*\//g, '(?:.*/)?')}(?:/.*)?$`) };
    });
  return (path: string) => {
    let excluded = false;
    for (const rule of rules) if (rule.re.test(path)) excluded = !rule.negate;
    return excluded;
  };
}

async function walk(root: string, dir: string, ignored: (p: string) => boolean, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    if (rel === '.git' || ignored(rel)) continue;
    if (entry.isDirectory()) await walk(root, full, ignored, out);
    else out.push(rel);
  }
}

/** Packs `dir` into a tar.gz like azd's pack_source.go: .dockerignore honoured, .git skipped. */
export async function packContext(dir: string, options: { exclude?: string[] } = {}): Promise<Buffer> {
  let ignoreText = '';
  try {
    ignoreText = await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch {
    // no .dockerignore
  }
  const ignored = dockerignoreMatcher([ignoreText, ...(options.exclude ?? [])].join('\n'));
  const files: string[] = [];
  await walk(dir, dir, ignored, files);
  const tmp = await mkdtemp(join(tmpdir(), 'twin-pack-'));
  try {
    const list = join(tmp, 'files');
    const out = join(tmp, 'context.tar.gz');
    await writeFile(list, files.join('\0'));
    await run(TAR, ['-czf', out, '-C', dir, '--null', '-T', list]);
    return await readFile(out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
