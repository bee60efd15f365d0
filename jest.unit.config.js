/** Unit tests only (pure logic, no servers): `npx jest -c jest.unit.config.js`. */
const base = require('./jest.config');
module.exports = { ...base, roots: ['<rootDir>/test/unit'], globalSetup: undefined, globalTeardown: undefined, setupFiles: [], setupFilesAfterEnv: [] };
