/** @type {import('jest').Config} The cluster scenario (`npm run test:cluster`): no dev server, its own cluster. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 600000,
};
