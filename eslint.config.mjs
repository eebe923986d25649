// typescript-eslint with type information, over every TypeScript project of the repo (host, webview, tests).
// Formatting is Prettier's (npm run format); `npm run lint` runs both checks and is part of `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'out/',
      'node_modules/',
      '.vscode-test/',
      'bench/.out/',
      'bench-results/',
      'wasm/',
      '**/*.generated.ts',
      'test/**/workspace/',
      '**/*.mjs',
      'test/fixtures/debugpy-adapter/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // the parsers backtrack by throwing ParseFail, a plain object on purpose (see src/parse/text.ts)
      '@typescript-eslint/only-throw-error': [
        'error',
        { allow: [{ from: 'file', name: 'ParseFail', path: 'src/parse/text.ts' }] },
      ],
    },
  },
  {
    // tests read JSON fixtures (PyTorch's answers) whose shape the test itself asserts: `any` is their type
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // failure messages print shapes and fixture values as they come
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
);
