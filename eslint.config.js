// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * ESLint checks what the compiler does not: likely mistakes and unsafe patterns. Formatting is
 * Prettier's business (`.prettierrc.json`), so no stylistic rule is on here.
 *
 * The type-aware presets are off: on this code they take about two minutes and flag mostly
 * `no-unsafe-*` on JSON bodies that tests read as `any` on purpose; `tsc --noEmit` (strict) runs
 * beside it in `npm test` and covers what types can prove.
 */
export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', 'dist/', 'console/dist/', '.latchkey/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are placeholders a signature requires (as tsconfig's noUnusedParameters allows).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read answers of the API as parsed JSON and index into them freely; typing every body
    // would repeat the API's types without checking them. Production code keeps the rule.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
