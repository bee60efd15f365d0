/**
 * Jest runs TypeScript through @swc/jest. Workflow code is bundled by the Temporal SDK's own
 * webpack (once, in global setup), never through Jest's transform.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[tj]s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // ESM-only packages (Node 20 loads them with require(esm); Jest's module loader cannot): compile them too.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@apidevtools/json-schema-ref-parser)/)'],
  setupFiles: ['<rootDir>/test/setup/temporalRuntime.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/temporalRuntimeShutdown.ts'],
  globalSetup: '<rootDir>/test/setup/globalSetup.ts',
  globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
  reporters: ['default', '<rootDir>/test/setup/summaryReporter.js'],
  testTimeout: 120000,
  maxWorkers: 2,
  // How long a worker may take to exit after its last file before Jest kills it and prints "A worker
  // process has failed to exit gracefully". Ours finish their JavaScript at once (no handle left,
  // the 'exit' event 1-2 ms after Jest's end message), but the process then takes ~0.4 s to go
  // (measured at the end of a full run: 391 and 401 ms from the end message to the parent seeing
  // the exit); at the default 500 ms a loaded machine tipped it over. A worker that truly hangs is
  // still killed, and reported, after this.
  workerGracefulExitTimeout: 5000,
};
