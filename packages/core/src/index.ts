export * from './errors/heylook-error.js';
export * from './provider/types.js';
export * from './provider/base-provider.js';
export * from './config/config-schema.js';
export * from './config/load-config.js';
export * from './config/parse-provider-config.js';
export * from './config/server-settings.js';
export * from './registry/provider-registry.js';
export * from './registry/discover-providers.js';
export * from './router/model-router.js';
export { abortable } from './util/abortable.js';
export { parseByteSize, parseKeepAlive } from './util/duration.js';

export const VERSION: string = '0.1.0';
export { PartStream } from './util/part-stream.js';
export { StopMatcher } from './util/stop-matcher.js';
export * from './router/open-model-stream.js';
export * from './provider/assert-capabilities.js';
export { PrefixSlotPool, type SlotLease } from './util/prefix-slot-pool.js';
