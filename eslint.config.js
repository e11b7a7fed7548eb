// ESLint flat config: typed rules (no-floating-promises above all) over every package's TypeScript.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (docs/architecture.md), as import rules: a file may import its own layer and the ones below, never
// above. Each entry: the files of a layer, and the folders (by import path) they may not reach.
const ourPackages = {
  group: ['@tether/*/*'],
  message: 'import a package through its public entry (@tether/x)',
};
const above = (folders, why) => ({
  group: folders.flatMap((f) => [`**/${f}`, `**/${f}/**`]),
  message: why,
});
const LAYERS = [
  {
    files: ['shared/src/**/*.ts'],
    patterns: [
      { group: ['@tether/*'], message: 'shared is the bottom layer: it imports nothing of ours' },
      above(['agent', 'control-plane'], 'shared is the bottom layer: it imports nothing of ours'),
    ],
  },
  {
    // Control plane: domain (agents, calls, services, policy, reports, auth, audit, network).
    files: ['control-plane/src/{agents,calls,services,policy,reports,auth,audit,network}/**/*.ts'],
    patterns: [
      above(
        ['http', 'broker', 'cluster', 'tls', 'tcp', 'cli'],
        'domain code does not import an adapter (http, broker, cluster, tls, tcp) or the CLI',
      ),
      above(
        ['control-plane.js', 'control-plane-types.js', 'index.js', 'wiring'],
        'domain code does not import the wiring',
      ),
    ],
  },
  {
    // Control plane: the base (the API's contract, observability, stores).
    files: ['control-plane/src/{api,observability,store,db}/**/*.ts'],
    patterns: [
      above(
        [
          'agents',
          'calls',
          'services',
          'policy',
          'reports',
          'auth',
          'audit',
          'network',
          'http',
          'broker',
          'cluster',
          'tls',
          'tcp',
          'cli',
          'wiring',
        ],
        'the base (api contract, observability, stores) imports no domain, adapter, wiring or CLI code',
      ),
    ],
  },
  {
    // Control plane adapters: never the CLI or the wiring.
    files: ['control-plane/src/{http,broker,cluster,tls,tcp}/**/*.ts'],
    patterns: [
      above(
        ['cli', 'control-plane.js', 'control-plane-types.js', 'wiring'],
        'an adapter does not import the CLI or the wiring',
      ),
    ],
  },
  {
    // Agent: domain (sync, services, sources, calls, reports, credentials).
    files: ['agent/src/{sync,services,sources,calls,reports,credentials,upgrades}/**/*.ts'],
    patterns: [
      above(
        ['api', 'link', 'registries', 'config', 'cli'],
        'agent domain code does not import the API, the link, the registries, the config or the CLI',
      ),
      above(
        ['agent.js', 'agent-lifecycle.js', 'index.js', 'wiring'],
        'domain code does not import the wiring',
      ),
    ],
  },
  {
    // Agent: the base.
    files: ['agent/src/{observability,state}/**/*.ts', 'agent/src/{errors,version,native-binding}.ts'],
    patterns: [
      above(
        [
          'api',
          'link',
          'registries',
          'config',
          'cli',
          'sync',
          'services',
          'sources',
          'calls',
          'reports',
          'credentials',
          'wiring',
        ],
        'the agent base (observability, state) imports nothing above it',
      ),
    ],
  },
  {
    // Agent adapters (api, link, registries): never the config, the CLI or the wiring.
    files: ['agent/src/{api,link,registries}/**/*.ts'],
    patterns: [
      above(
        ['config', 'cli', 'agent.js', 'agent-lifecycle.js', 'wiring'],
        'an adapter does not import the config, the CLI or the wiring',
      ),
    ],
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', '**/bin/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.ts'], defaultProject: 'tsconfig.root.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': ['error', { patterns: [ourPackages] }],
    },
  },
  ...LAYERS.map(({ files, patterns }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: [ourPackages, ...patterns] }] },
  })),
);
