// ESLint (flat config): typescript-eslint's recommended rules, syntax only, on the TypeScript and
// the .mjs scripts. The type-aware set (recommendedTypeChecked) builds the whole program: measured
// on src/ and test/, 4.5 times the CPU time and 1.5 GB of memory, too much for a 2-core CI. Formatting is Prettier's (.prettierrc); eslint-config-prettier turns off the rules that
// would fight it. `npm run lint` runs both; `npm run format` fixes what they can.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'coverage/', '.cluster/', '.scratch/', 'bench/results/', 'node_modules/', 'test/fixtures/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {globals: {...globals.node}},
    linterOptions: {reportUnusedDisableDirectives: 'error'},
    rules: {
      // `catch {}` is this codebase's idiom for best-effort clean-up and optional reads; other empty blocks still fail.
      'no-empty': ['error', {allowEmptyCatch: true}],
      // YAML indentation in a pattern reads as the file does with literal spaces, not as {4}.
      'no-regex-spaces': 'off',
      // `_name` marks a binding kept on purpose (a destructured key dropped from a rest, an unused parameter of a callback's shape).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true},
      ],
    },
  },
  {
    // bin/ is CommonJS on purpose (bin/package.json): the Node.js version check must parse and run on any Node before ESM loads.
    files: ['bin/**/*.js'],
    languageOptions: {sourceType: 'commonjs'},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
)
