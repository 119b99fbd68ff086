import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The layer rules of DESIGN.md ("Dependencies point inward"), enforced per folder with no-restricted-imports.
 * Bare specifiers are checked against an allowlist (a new SDK in a layer is a decision, not an accident);
 * relative ones against the folders a layer must not reach. Type-only imports count too: a port typed with an
 * SDK's type is an SDK dependency all the same.
 */

/** Forbids every bare specifier (a package, a built-in) but the allowed ones; `node:` built-ins always pass. */
const onlyPackages = (allowed, message) => ({
  regex: `^(?!(?:${allowed.map((name) => name.replaceAll('/', '\\/')).join('|')})(?:\\/.*)?$|node:)[^.]`,
  message,
});

/** Forbids relative imports that reach any of these folders. */
const noFolders = (folders, message) => ({ group: folders.map((folder) => `**/${folder}/**`), message });

const layer = (files, ...patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

const DEPLOY_PACKAGES = 'src/deploy is the domain: it knows ports, never SDKs; only zod, yaml and node: built-ins.';
const DEPLOY_FOLDERS = 'src/deploy imports nothing outside src/deploy: no ui, adapters, bot, handlers or sandbox.';

/**
 * src/deploy, one block a folder depth: `..` repeated as often as the file is deep leaves src/deploy, whatever
 * folder it then names (a new top-level folder included). Deeper files than that fall back on the folder names.
 */
const deployLayer = [
  layer(
    ['src/deploy/**/*.ts'],
    onlyPackages(['zod', 'yaml'], DEPLOY_PACKAGES),
    noFolders(['ui', 'adapters', 'bot', 'handlers', 'sandbox'], DEPLOY_FOLDERS),
  ),
  ...[1, 2, 3, 4, 5, 6].map((depth) =>
    layer([`src/deploy/${'*/'.repeat(depth - 1)}*.ts`], onlyPackages(['zod', 'yaml'], DEPLOY_PACKAGES), {
      regex: `^(?:\\.\\./){${depth}}`,
      message: DEPLOY_FOLDERS,
    }),
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.liftoff/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...deployLayer,
  layer(
    ['src/handlers/**/*.ts'],
    onlyPackages(
      ['@slack/bolt', '@slack/types', '@slack/web-api', 'zod'],
      'src/handlers are thin controllers over Bolt: no SDK client (Google Cloud, GitHub, a database); those are adapters behind the ports of src/deploy.',
    ),
    noFolders(
      ['adapters', 'bot', 'sandbox'],
      'src/handlers call src/deploy and render with src/ui: no adapters (the bot wires them), nothing from src/bot or sandbox.',
    ),
  ),
  layer(
    ['src/adapters/**/*.ts'],
    noFolders(
      ['ui', 'handlers', 'bot', 'sandbox'],
      'src/adapters implement the ports of src/deploy and render nothing: the bot hands them the src/ui builders they need.',
    ),
  ),
  layer(
    ['sandbox/**/*.ts'],
    noFolders(
      ['src/deploy'],
      'The sandbox emulates the outside world and shares no logic with the domain: nothing from src/deploy.',
    ),
  ),
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
