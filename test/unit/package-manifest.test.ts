// The npm package runs the balancer's build from templates/balancer/dist with the CLI's own
// dependencies (the template's node_modules is not shipped), so the two manifests must pin the same ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface Manifest {
  dependencies: Record<string, string>;
  files?: string[];
  engines: { node: string };
}

const read = (path: string): Manifest => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')) as Manifest;
const cli = read('package.json');
const balancer = read('templates/balancer/package.json');

describe('package manifests', () => {
  it('the CLI depends on every runtime dependency of the balancer, at the same exact version', () => {
    for (const [name, version] of Object.entries(balancer.dependencies)) {
      assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned in the template`);
      assert.equal(cli.dependencies[name], version, `${name}: the CLI pins ${cli.dependencies[name]}, the balancer ${version}`);
    }
  });

  it('ships the balancer built, its build context, and no tests', () => {
    const files = cli.files ?? [];
    for (const entry of [
      'bin',
      'dist',
      'templates/balancer/dist/**/*.js',
      'templates/balancer/src',
      'templates/balancer/Dockerfile',
      'templates/balancer/package-lock.json',
    ]) {
      assert.ok(files.includes(entry), `files lists ${entry}`);
    }
    assert.ok(!files.some((entry) => entry.includes('test')), files.join(' '));
  });

  it('both run on the same Node versions', () => {
    assert.equal(cli.engines.node, balancer.engines.node);
  });
});
