import { defaultServerSettings, isHeylookError, type ModelRouter, type ServerSettings } from '@heylook/core';
import anthropicServer from '@heylook/server-anthropic';
import { serverGuard, serverMetrics } from '@heylook/server-guard';
import ollamaServer from '@heylook/server-ollama';
import openaiServer from '@heylook/server-openai';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';

/** Logs each request once, when it completes (method, url, status, time), not also when it arrives. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, `${request.method} ${request.url} ${reply.statusCode}`);
  }
}

/** Which APIs to serve: every one (`all`; `both` is its old name) or just one. */
export type ApiSelection = 'all' | 'both' | 'openai' | 'ollama' | 'anthropic';

export function servesApi(selection: ApiSelection, api: 'openai' | 'ollama' | 'anthropic'): boolean {
  return selection === 'all' || selection === 'both' || selection === api;
}

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

/** The one fastify app `serve` runs and the tests start: the guard, every API on one port, /health and /metrics. */
export async function createServer({ router, api = 'all', settings = {}, logger = false }: CreateServerOptions): Promise<FastifyInstance> {
  const http: HttpSettings = { ...defaultServerSettings, ...settings };
  const app = Fastify({
    // Keys travel in headers: should a serializer ever log headers, they come out redacted.
    logger: typeof logger === 'object' ? { ...logger, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] } : logger,
    bodyLimit: http.bodyLimit,
    logController: new OneLinePerRequest(),
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
  if (servesApi(api, 'openai')) await app.register(openaiServer, { router });
  if (servesApi(api, 'ollama')) await app.register(ollamaServer, { router });
  if (servesApi(api, 'anthropic')) await app.register(anthropicServer, { router });
  // Claude Code probes `HEAD /` before its first request; the Ollama API answers it when served.
  if (!servesApi(api, 'ollama')) app.route({ method: ['GET', 'HEAD'], url: '/', handler: async () => ({ status: 'ok' }) });
  router.on('load-end', ({ modelId, durationMs, error }) => {
    if (error) app.log.error({ model: modelId, ...(isHeylookError(error) ? {} : { err: error }) }, `model failed to load: ${error instanceof Error ? error.message : String(error)}`);
    else app.log.info({ model: modelId, ms: Math.round(durationMs) }, 'model loaded');
  });
  router.on('unload', ({ modelId, reason }) => app.log.info({ model: modelId, reason }, 'model unloaded'));
  router.on('broken', ({ modelId }) => app.log.warn({ model: modelId }, 'model failed; it will be reloaded on its next request'));
  return app;
}
