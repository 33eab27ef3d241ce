export { runProviderConformance, type ConformanceOptions } from './run-provider-conformance.js';
export const VERSION = '0.1.0';
