import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.data/',
      '.temporal/',
      '.keystone/',
      '.conformance/',
      '.qemu/',
      'coverage/',
      'bench/results/',
      'test/histories/',
      'dist/',
      '.cluster/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside a sandbox: no I/O, no drivers, no validation libs.
    files: [
      'workflows/**/*.ts',
      'entities/*/workflow*.ts',
      'entities/*/rules.ts',
      'entities/*/messages.ts',
      'entities/*/types.ts',
      'entities/*/action-log.ts',
      'entities/*/stages.ts',
      'entities/server/entity.ts',
      'entities/server/build.ts',
      'entities/server/retry.ts',
      'entities/server/lifecycle.ts',
      'extensions/**/workflow*.ts',
      'examples/extensions/**/workflow*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [name, `node:${name}`]),
            'express',
            'zod',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ],
          patterns: [
            { group: ['**/drivers/**', '**/api/**', '**/workers/**', '**/config/**'] },
            {
              group: ['**/activities/**'],
              allowTypeImports: true,
              message: 'workflows import activities as types only',
            },
          ],
        },
      ],
    },
  },
  {
    // The API talks to entities through their clients, never to activity implementations.
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/activities/**'], message: 'the API talks to entities through their clients' },
          ],
        },
      ],
    },
  },
  {
    // Activities and entity clients use entities' rules, messages and types, never workflow code.
    files: ['activities/**/*.ts', 'entities/*/client.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/entities/*/workflow',
                '**/workflows/server',
                '**/workflows/reservation',
                '**/workflows/index',
              ],
              allowTypeImports: true,
              message: 'activities never import workflow code (a type, to type a start, is fine)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
