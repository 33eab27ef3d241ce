export * from './fake-provider.js';
export { createRouterWith, createTestRouter } from './create-test-router.js';
export * from './fixtures.js';
export * from './minimal-provider.js';
