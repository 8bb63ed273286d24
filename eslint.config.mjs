// Lint rules that protect the two things a type checker does not: workflow determinism (no Node
// built-ins under src/workflows) and promises that are neither awaited nor handled.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: it must not reach the clock, the network or the file system.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['kafkajs', 'better-sqlite3', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Workflows may import only @temporalio/workflow and pure modules.',
            },
          ],
        },
      ],
    },
  },
  {
    // The sensor's decisions are plain functions over a state value, unit-tested without Temporal:
    // nothing under sensor-core may reach Temporal, Kafka or Node, not even for a type. Of the
    // project's own modules it may import values only from its own folder and src/batch.ts (pure);
    // types from anywhere. (Replaces the block above for these files, so it repeats its ban.)
    files: ['src/workflows/sensor-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'sensor-core is pure: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['@temporalio/*', 'kafkajs', 'kafkajs/*', 'node:*', 'better-sqlite3', 'pg', 'pg-copy-streams'],
              message:
                'sensor-core is pure: no Temporal, Kafka or Node; the workflow (src/workflows/sensor.ts) wires it.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\./batch$)',
              allowTypeImports: true,
              message: 'sensor-core imports values only from its own folder and src/batch.ts; types from anywhere.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { ...globals.node } } },
  {
    // CommonJS in plain JavaScript: what runs before anything is compiled (scripts/worker.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
