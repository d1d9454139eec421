import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The domain and render layers stay pure (docs/architecture): no file system, processes, network, action
// runtime or AWS SDK, and no reaching back into adapters, use cases or the CLI. node:crypto is allowed:
// hashing (the plan digest, the audit chain) is a pure computation.
const impureModules = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'os', 'process', 'worker_threads', 'dgram', 'dns', 'tls', 'readline'];
const pureLayerRestrictions = {
  paths: impureModules.flatMap((name) => [
    { name, message: 'The domain and render layers are pure: do I/O in an adapter and pass the result in.' },
    { name: `node:${name}`, message: 'The domain and render layers are pure: do I/O in an adapter and pass the result in.' },
  ]),
  patterns: [
    { group: ['@actions/*', '@aws-sdk/*', '@octokit/*'], message: 'The domain and render layers must not use the action runtime, GitHub or AWS clients: use a port.' },
    // Type-only imports are erased at build time, so they cannot bring I/O in.
    { group: ['**/adapters/**', '**/usecases/**', '**/cli/**', '**/action/**', '**/main.js', '**/cli.js'], allowTypeImports: true, message: 'The domain and render layers must not depend on outer layers.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', '.dist-build/**', 'node_modules/**', '.ci/node24/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/runbook/**/*.ts', 'src/policy/**/*.ts', 'src/plan/**/*.ts', 'src/run/**/*.ts', 'src/render/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', pureLayerRestrictions],
      'no-restricted-globals': ['error', { name: 'process', message: 'The domain and render layers are pure: pass environment and time in from the caller.' }],
    },
  },
);
