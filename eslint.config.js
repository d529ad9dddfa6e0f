import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency direction of docs/architecture.md: commands → ops → azure/env/ui/core.
// The balancer template ships alone in its image, and the twin is an independent check of src/.
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
  { files: ['templates/balancer/src/**'], rules: restrict([{ group: ['**/src/**', '../../../src/**'], message: 'The balancer ships alone: import nothing from the CLI.' }]) },
  { files: ['src/simulator/**'], rules: restrict([{ group: ['../commands/*', '../ops/*', '../azure/*', '../ui/*'], message: 'The simulator stands alone.' }]) },
  { files: ['src/azure/**'], rules: restrict([{ group: ['../ui/*', '../commands/*', '../ops/*'], message: 'azure/ never imports ui/, ops/ or commands/.' }]) },
  { files: ['src/ops/**'], rules: restrict([{ group: ['../commands/*'], message: 'ops/ never imports commands/.' }]) },
  { files: ['src/core/**', 'src/env/**', 'src/ui/**'], rules: restrict([{ group: ['../commands/*', '../ops/*'], message: 'core, env and ui are leaves.' }]) },
  // `aoai-lb --help` loads every command file: heavy modules load in run() (await import()), types are free.
  {
    files: ['src/commands/**', 'src/cli.ts'],
    rules: restrict([
      {
        group: ['@azure/*', '**/ops/*', '**/simulator/*', '**/ui/*', '**/templates/balancer/dist/*', '!**/templates/balancer/dist/defaults.js', 'ora', 'log-update'],
        allowTypeImports: true,
        message: 'Keep `aoai-lb --help` fast: import this in run() with `await import()` (type-only imports are fine).',
      },
    ]),
  },
  { files: ['test/twin/**'], rules: restrict([{ group: ['../../src/**', '../src/**'], message: 'The twin is an independent check of src/.' }]) },
);
