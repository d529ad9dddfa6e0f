import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency direction of docs/architecture.md: commands → ops → azure/env/ui/core.
// The balancer template ships alone in its image, and the twin is an independent check of src/.
// The ops folders of the commands; each keeps its internals to itself.
const commandFolders = ['up', 'capacity', 'logs', 'wire-chat', 'status', 'down', 'dev'];
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['templates/balancer/src/**'],
    rules: restrict([{ group: ['**/src/**', '../../../src/**'], message: 'The balancer ships alone: import nothing from the CLI.' }]),
  },
  {
    files: ['src/simulator/**'],
    rules: restrict([{ group: ['**/commands/**', '**/ops/**', '**/azure/**', '**/ui/**', '**/env/**'], message: 'The simulator stands alone.' }]),
  },
  {
    files: ['src/azure/**'],
    rules: restrict([{ group: ['**/ui/**', '**/commands/**', '**/ops/**'], message: 'azure/ never imports ui/, ops/ or commands/.' }]),
  },
  // Each command's ops folder is its own: what commands share lives in ops/*.ts (settled, quota, deployed-app),
  // env/keys or core/. `./x.js` within a folder and `../../azure/…` out of it stay allowed.
  {
    files: ['src/ops/**'],
    rules: restrict([
      { group: ['**/commands/**'], message: 'ops/ never imports commands/.' },
      {
        regex: `^\\.\\.?/(${commandFolders.join('|')})/(?!index\\.js$)`,
        message: "A command's ops folder keeps its internals: share through ops/*.ts, env/keys.ts or core/.",
      },
    ]),
  },
  { files: ['src/core/**', 'src/env/**'], rules: restrict([{ group: ['**/commands/**', '**/ops/**', '**/ui/**'], message: 'core and env are leaves.' }]) },
  // ui/ renders what ops/ produces: the result types are ops/'s, so ui/ may import them as types only.
  {
    files: ['src/ui/**'],
    rules: restrict([
      { group: ['**/commands/**'], message: 'ui never imports commands/.' },
      { group: ['**/ops/**'], allowTypeImports: true, message: "ui renders ops' result types: type-only imports of ops/." },
    ]),
  },
  // `aoai-lb --help` loads every command file: heavy modules load in run() (await import()), types are free.
  {
    files: ['src/commands/**', 'src/cli.ts'],
    rules: restrict([
      {
        group: [
          '@azure/*',
          '**/ops/**',
          '**/simulator/**',
          '**/ui/**',
          '**/templates/balancer/dist/*',
          '!**/templates/balancer/dist/defaults.js',
          'ora',
          'log-update',
        ],
        allowTypeImports: true,
        message: 'Keep `aoai-lb --help` fast: import this in run() with `await import()` (type-only imports are fine).',
      },
      { group: ['**/ops/*/*', '!**/ops/*/index.js'], message: 'A command reaches its ops folder through index.js only.' },
    ]),
  },
  // The twin (its modules, every nested folder, and its own tests in test/twin/tests/) imports nothing of the CLI:
  // no relative path that climbs out to src/ or dist/, from whatever depth, statically or with import().
  {
    files: ['test/twin/**'],
    rules: {
      ...restrict([{ regex: '^(\\.\\./)+(src|dist)(/|$)', message: 'The twin is an independent check of src/.' }]),
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression[source.value=/^(\\.\\.\\/)+(src|dist)(\\/|$)/]', message: 'The twin is an independent check of src/.' },
      ],
    },
  },
);
