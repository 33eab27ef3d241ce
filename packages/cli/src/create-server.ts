import { defaultServerSettings, type ModelRouter, type ServerSettings } from '@heylook/core';
import { serverGuard, serverMetrics } from '@heylook/server-guard';
import ollamaServer from '@heylook/server-ollama';
import openaiServer from '@heylook/server-openai';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';

export type ApiSelection = 'both' | 'openai' | 'ollama';

/** The settings the HTTP layer uses; the rest of ServerSettings configures the router. */
export type HttpSettings = Pick<
  ServerSettings,
  'host' | 'apiKeys' | 'corsOrigins' | 'allowedHosts' | 'bodyLimit' | 'maxMessages' | 'maxImages' | 'maxImageBytes'
>;

export interface CreateServerOptions {
  router: ModelRouter;
  api?: ApiSelection;
  /** Defaults to core's defaults: loopback, no keys, local origins only. */
  settings?: Partial<HttpSettings>;
  logger?: FastifyServerOptions['logger'];
}

export const VERSION = '0.1.0';

/** The one fastify app `serve` runs and the tests start: the guard, both APIs on one port, /health and /metrics. */
export async function createServer({ router, api = 'both', settings = {}, logger = false }: CreateServerOptions): Promise<FastifyInstance> {
  const http: HttpSettings = { ...defaultServerSettings, ...settings };
  const app = Fastify({
    // Keys travel in headers: should a serializer ever log headers, they come out redacted.
    logger: typeof logger === 'object' ? { ...logger, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] } : logger,
    bodyLimit: http.bodyLimit,
    forceCloseConnections: 'idle',
  });
  // First, so its hooks run before anything else on every route, however it was added.
  await app.register(serverGuard, {
    apiKeys: http.apiKeys,
    origins: http.corsOrigins,
    bindHost: http.host,
    allowedHosts: http.allowedHosts,
    bodyLimit: http.bodyLimit,
    limits: { maxMessages: http.maxMessages, maxImages: http.maxImages, maxImageBytes: http.maxImageBytes },
  });
  await app.register(serverMetrics, { router });
  app.get('/health', async () => ({
    status: 'ok',
    version: VERSION,
    queue_depth: router.queueDepth,
    models: router
      .list()
      .filter((model) => model.state !== 'unloaded')
      .map((model) => ({
        id: model.id,
        provider: model.provider,
        state: model.state,
        active_requests: model.activeRequests,
        size: model.sizeBytes ?? null,
        expires_at: model.pinned ? null : (model.expiresAt?.toISOString() ?? null),
        pinned: model.pinned,
      })),
  }));
  if (api !== 'ollama') await app.register(openaiServer, { router });
  if (api !== 'openai') await app.register(ollamaServer, { router });
  router.on('load-end', ({ modelId, durationMs, error }) => {
    if (error) app.log.error({ model: modelId, err: error }, 'model failed to load');
    else app.log.info({ model: modelId, ms: Math.round(durationMs) }, 'model loaded');
  });
  router.on('unload', ({ modelId, reason }) => app.log.info({ model: modelId, reason }, 'model unloaded'));
  router.on('broken', ({ modelId }) => app.log.warn({ model: modelId }, 'model failed; it will be reloaded on its next request'));
  return app;
}
