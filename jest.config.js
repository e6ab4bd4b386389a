/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The workspace packages resolve to their TypeScript sources (the `lambda-sessions-source` export
  // condition), so tests run what the working tree holds, not a stale build.
  testEnvironmentOptions: {
    customExportConditions: ['lambda-sessions-source', 'node', 'require', 'default'],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[jt]s$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // A dynamic import of our own module names it as Node would run it (`./module.js`, tsconfig node16).
  // @middy/core ships ES modules only: map it to its file and let swc transform it
  // (docs/design.md, "Toolchain facts").
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@middy/(core|util)$': '<rootDir>/node_modules/@middy/$1/index.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  testTimeout: 20000,
};
