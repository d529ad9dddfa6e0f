/**
 * aoai-lb run before `npm ci` finished (a fresh clone) or with a dependency missing: one line of what is
 * missing, one line of what to run, exit 1, never a stack trace.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli-process.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'aoai-lb-incomplete-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the clone's launcher and package.json, plus whatever `parts` lays out. */
function tree(name: string, parts: (root: string) => void): { bin: string; root: string } {
  const root = join(scratch, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  cpSync(join(repo, 'bin', 'aoai-lb.js'), join(root, 'bin', 'aoai-lb.js'));
  cpSync(join(repo, 'package.json'), join(root, 'package.json'));
  parts(root);
  return { bin: join(root, 'bin', 'aoai-lb.js'), root };
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.equal(stderr.trim().split('\n').length, 2, stderr);
}

describe('an incomplete install', () => {
  it('a clone before npm ci (no dist/, no node_modules/): run npm ci', async () => {
    const { bin, root } = tree('fresh-clone', (dir) => mkdirSync(join(dir, 'src')));
    const run = await runCli(['--help'], {}, { bin, cwd: scratch });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: aoai-lb is not installed completely: Cannot find module '.*\/dist\/cli\.js'\.$/m);
    assert.match(
      run.stderr,
      new RegExp(`^ {2}→ run \`npm ci\` in ${root.replace(/[.]/g, '\\.')}/? \\(it installs the dependencies and builds aoai-lb\\)$`, 'm'),
    );
    assertNoStack(run.stderr);
  });

  it('an installed copy whose dependencies are gone: reinstall', async () => {
    const { bin } = tree('installed-no-deps', (dir) => {
      cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true });
    });
    const run = await runCli(['--version'], {}, { bin, cwd: scratch });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: aoai-lb is not installed completely: Cannot find package 'commander'\.$/m);
    assert.match(run.stderr, /^ {2}→ reinstall aoai-lb: npm install -g aoai-lb \(or run it with npx aoai-lb\)$/m);
    assertNoStack(run.stderr);
  });

  it('a dependency that only one command loads is missing: the same two lines when that command runs', async () => {
    const { bin, root } = tree('clone-without-azure', (dir) => {
      mkdirSync(join(dir, 'src'));
      cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true });
      mkdirSync(join(dir, 'templates', 'balancer'), { recursive: true });
      symlinkSync(join(repo, 'templates', 'balancer', 'dist'), join(dir, 'templates', 'balancer', 'dist'));
      mkdirSync(join(dir, 'node_modules'));
      for (const entry of readdirSync(join(repo, 'node_modules'))) {
        if (entry !== '@azure') symlinkSync(join(repo, 'node_modules', entry), join(dir, 'node_modules', entry));
      }
    });
    const help = await runCli(['--help'], {}, { bin, cwd: scratch });
    assert.equal(help.code, 0, `--help needs no Azure SDK: ${help.stderr}`);
    const run = await runCli(['up', '--cwd', scratch, '--env', 'x', '--dry-run'], {}, { bin, cwd: scratch });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: aoai-lb is not installed completely: Cannot find package '@azure\/[\w-]+'\.$/m);
    assert.match(run.stderr, new RegExp(`^ {2}→ run \`npm ci\` in ${root.replace(/[.]/g, '\\.')}`, 'm'));
    assertNoStack(run.stderr);
  });
});
