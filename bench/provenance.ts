// What a benchmark's figures were measured on: the commit and the package versions.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './servers.js';

export function versionOf(packageJson: string): string {
  return (JSON.parse(readFileSync(join(repoRoot, packageJson), 'utf8')) as { version: string }).version;
}

/** The commit, and whether the runtime's sources differ from it (the benches build the working tree). */
export function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'templates/balancer/src'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes in templates/balancer/src` : commit;
  } catch {
    return 'unknown';
  }
}
