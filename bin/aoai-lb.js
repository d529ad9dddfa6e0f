#!/usr/bin/env node
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`aoai-lb needs Node.js 20.19 or newer; this is ${process.versions.node}.\n`);
  process.exit(1);
}
let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (error) {
  // A clone without `npm ci` (no dist/, no node_modules/) or a damaged install: say what to run, not a stack.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const missing = String(error.message).split(' imported from ')[0];
  const fix = existsSync(new URL('../src', import.meta.url))
    ? `run \`npm ci\` in ${root} (it installs the dependencies and builds aoai-lb)`
    : 'reinstall aoai-lb: npm install -g aoai-lb (or run it with npx aoai-lb)';
  process.stderr.write(`error: aoai-lb is not installed completely: ${missing}.\n  → ${fix}\n`);
  process.exit(1);
}
process.exitCode = await main(process.argv);
