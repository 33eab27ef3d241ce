export { serverGuard } from './server-guard.js';
export { defaultBodyLimit, type ServerGuardOptions } from './guard-options.js';
export { serverMetrics, type ServerMetricsOptions } from './server-metrics.js';
export { checkRequestLimits, defaultRequestLimits, type RequestLimits } from './request-limits.js';
export { defaultOrigins, OriginAllowList } from './origin-allow-list.js';
export { isAllowedHost, isLoopbackBind } from './host-check.js';
export { ApiKeyCheck } from './api-key-check.js';
