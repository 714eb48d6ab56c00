// ESLint flat config: typescript-eslint's recommended sets with type information, tuned rule
// by rule. A rule is off or relaxed only where it reported non-bugs in this code; the reason
// is next to it. `npm run lint` allows no warnings.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // examples/ is plain JavaScript for users to copy (no type information); the tests run it.
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'docs/api/', 'examples/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The bugs type information finds: a promise nobody awaits loses its rejection; a promise
      // where a boolean or a void callback is expected is always truthy / never awaited.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Dead branches and optional chains on values that cannot be nullish. Values set in a
      // callback are declared with `as T` so TypeScript does not narrow them to the initial value.
      '@typescript-eslint/no-unnecessary-condition': 'error',
      // A leading underscore marks a parameter or binding that is there for its position only.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Off: every report was an error caught as `unknown`, kept, and passed on later (a null
      // check narrows it to `{}`, which these rules refuse even with allowThrowingUnknown). What
      // the code throws itself is constructed from the typed classes in src/errors.ts.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // A `let` that a closure reads before its single assignment (a stream's read() and the
      // puller created after the stream) cannot become a `const` declared earlier.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Off: `async` without `await` is how a function that implements a Promise-returning
      // interface turns its throws into rejections; every report was such a function.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // Chai's property assertions (`expect(x).to.be.true`) are expressions by design.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Tests and scripts read JSON from peers (Python, Perl, /proc) and check it with chai;
      // typing every field would be ceremony: the assertions are the type check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Mocha state is declared `let x: T` and set in `before`; `after` hooks use `x?.` because
      // `before` may have failed before setting it. Typing it `T | undefined` would put a `!`
      // on every use.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    // Plain JavaScript (this file, the mocha reporter): no TypeScript program to check against.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { require: 'readonly', module: 'writable', console: 'readonly', process: 'readonly' },
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
