import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sdkPatterns = ['@google-cloud/*', '@google/*', '@grpc/*', '@kubernetes/*', 'google-auth-library', 'google-gax', 'nodemailer', 'smtp-server', 'stream-json', 'stream-json/*', 'commander', 'esbuild'];
const ioModules = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https', 'child_process', 'node:child_process', 'dgram', 'node:dgram'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'coverage/', '.kfguard/', 'bench/out/', 'test/.artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', AbortController: 'readonly', fetch: 'readonly', performance: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // The domain is pure: no SDKs, no I/O, nothing from the outer layers.
    files: ['functions/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules, patterns: [...sdkPatterns, '**/adapters/**', '**/functions/**', '**/cli/**', '**/dev/**'] }],
    },
  },
  {
    files: ['functions/src/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/functions/**', '**/cli/**', '**/dev/**'] }] },
  },
  {
    // Entry points stay thin: they reach SDKs only through adapters.
    files: ['functions/src/functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...sdkPatterns.filter((p) => p !== '@google-cloud/*'), '**/cli/**', '**/dev/**'] }] },
  },
  {
    files: ['scripts/**', 'bin/**', 'test/**', 'functions/src/dev/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read JSON reports; typing every field there would only restate the contract.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
