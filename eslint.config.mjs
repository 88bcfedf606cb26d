// @ts-check
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { readdirSync } from 'node:fs';

/** The deployables; an import from one into another is a boundary violation. */
const APPS = readdirSync(new URL('./apps', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const INTO_AN_APP = `^(\\.\\./)+(apps/)?(${APPS.join('|')})/`;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', '**/*.js', '**/*.mjs', 'libs/grpc/src/generated/**', '.cache/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Query results are typed by assertion in tests; the rule would ask for the generic form instead.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  // Boundaries (STYLE.md 1): apps -> libs, never libs -> apps or app -> app; contracts imports nothing of ours.
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+apps/', message: 'libs/ must not import apps/: move the shared code into a lib' }] },
      ],
    },
  },
  {
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: INTO_AN_APP, message: 'an app must not import another app: move the shared code into a lib' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[object.property.name=/^broker$/i][property.name=/^(nc|js|jsm)$/]',
          message: "apps use Broker's methods (and DeadLetters for dead letters), not its raw NATS connection or JetStream clients",
        },
        {
          selector: 'MemberExpression[object.name=/^broker$/i][property.name=/^(nc|js|jsm)$/]',
          message: "apps use Broker's methods (and DeadLetters for dead letters), not its raw NATS connection or JetStream clients",
        },
      ],
    },
  },
  {
    files: ['libs/tracks/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(@framewire/(?!contracts$)|@nestjs/|@nats-io/|typeorm$|pg$|(\\.\\./){2})',
              message:
                'libs/tracks is a pure function of frame results: it imports the contracts and nothing else of ours, no Nest, NATS or database code',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(@framewire/|@nestjs/|@nats-io/|typeorm$|pg$|(\\.\\./){2})',
              message: 'libs/contracts is the language the stages speak: it imports nothing of ours and no Nest, NATS or database code',
            },
          ],
        },
      ],
    },
  },
);
