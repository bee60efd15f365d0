/**
 * The fast workflow layer alone (`npx jest -c jest.workflows.config.js`): each workflow on the
 * time-skipping test server with stub activities. No PostgreSQL, no dev server.
 */
const base = require('./jest.config');
module.exports = { ...base, roots: ['<rootDir>/test/workflows'], globalSetup: undefined, globalTeardown: undefined };
