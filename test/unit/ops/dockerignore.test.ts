import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dockerignoreMatcher } from '../../../src/ops/up/dockerignore.js';
import { contextFiles, contentTag } from '../../../src/ops/up/pack-context.js';

describe('.dockerignore matching', () => {
  it('excludes directories with their contents, globs, ** and ! exceptions, the last rule winning', () => {
    const ignored = dockerignoreMatcher('# comment\nnode_modules\n/dist/\n*.log\n**/*.tmp\ndocs\n!docs/keep.md\n');
    assert.equal(ignored('node_modules/x/index.js'), true);
    assert.equal(ignored('dist/main.js'), true);
    assert.equal(ignored('app.log'), true);
    assert.equal(ignored('src/app.log'), false, '*.log matches at the root only, as in Docker');
    assert.equal(ignored('src/deep/x.tmp'), true);
    assert.equal(ignored('docs/other.md'), true);
    assert.equal(ignored('docs/keep.md'), false);
    assert.equal(ignored('src/main.ts'), false);
  });

  it('packs templates/balancer without node_modules, dist or tests, with a stable content tag', async () => {
    const dir = fileURLToPath(new URL('../../../templates/balancer/', import.meta.url));
    const files = await contextFiles(dir);
    assert.ok(files.includes('Dockerfile') && files.includes('package-lock.json') && files.includes('src/main.ts'), files.join(', '));
    assert.ok(!files.some((f) => f.startsWith('node_modules/') || f.startsWith('dist/') || f.startsWith('test/')), files.join(', '));
    assert.match(await contentTag(dir, files), /^[0-9a-f]{12}$/);
    assert.equal(await contentTag(dir, files), await contentTag(dir, files));
  });
});
