import { cpuShare, type ModelRouter } from '@heylook/core';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetricsOptions {
  router: ModelRouter;
  /** Where the Prometheus text is served (default `/metrics`). */
  path?: string;
  /** Also export the process's own metrics (RSS, heap, event-loop lag; default true). */
  processMetrics?: boolean;
}

/**
 * `GET /metrics` in Prometheus text format, from router events and the responses the
 * server sends. Each app gets its own registry, so several servers in one process (tests,
 * custom apps) don't collide.
 */
export const serverMetrics: FastifyPluginAsync<ServerMetricsOptions> = fastifyPlugin(
  async (app: FastifyInstance, { router, path = '/metrics', processMetrics = true }: ServerMetricsOptions) => {
    const registry = new Registry();
    if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'heylook_process_' });
    const providerOf = new Map(router.models().map((entry) => [entry.id, entry.provider]));
    const labels = (modelId: string) => ({ model: modelId, provider: providerOf.get(modelId) ?? 'unknown' });
    const modelLabels = ['model', 'provider'] as const;

    const requests = new Counter({
      name: 'heylook_http_requests_total',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    });
    const requestSeconds = new Histogram({
      name: 'heylook_http_request_duration_seconds',
      help: 'Time from request to the end of the response (streams included).',
      labelNames: ['route'] as const,
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    const tokens = new Counter({
      name: 'heylook_tokens_total',
      help: 'Tokens read (prompt) and written (completion).',
      labelNames: [...modelLabels, 'kind'] as const,
      registers: [registry],
    });
    const timeToFirstToken = new Histogram({
      name: 'heylook_time_to_first_token_seconds',
      help: 'Time from the start of a generation to its first output.',
      labelNames: modelLabels,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    });
    const tokensPerSecond = new Histogram({
      name: 'heylook_tokens_per_second',
      help: 'Completion tokens per second of each finished generation.',
      labelNames: modelLabels,
      buckets: [1, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
      registers: [registry],
    });
    const generations = new Counter({
      name: 'heylook_generations_total',
      help: 'Generations by outcome (finished, failed, abandoned by the client).',
      labelNames: [...modelLabels, 'outcome'] as const,
      registers: [registry],
    });
    const loads = new Counter({
      name: 'heylook_model_loads_total',
      help: 'Model loads by result.',
      labelNames: [...modelLabels, 'result'] as const,
      registers: [registry],
    });
    const loadSeconds = new Histogram({
      name: 'heylook_model_load_duration_seconds',
      help: 'Time to load a model.',
      labelNames: modelLabels,
      buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    const unloads = new Counter({
      name: 'heylook_model_unloads_total',
      help: 'Model unloads by reason (evicted, expired, requested, broken, closed).',
      labelNames: [...modelLabels, 'reason'] as const,
      registers: [registry],
    });
    const failures = new Counter({
      name: 'heylook_model_failures_total',
      help: 'Models marked broken by a fatal error (reloaded on next use).',
      labelNames: modelLabels,
      registers: [registry],
    });
    new Gauge({
      name: 'heylook_queue_depth',
      help: 'Requests waiting for a model to become resident.',
      registers: [registry],
      collect() {
        this.set(router.queueDepth);
      },
    });
    new Gauge({
      name: 'heylook_model_resident',
      help: '1 when the model is loaded (or loading), else 0.',
      labelNames: modelLabels,
      registers: [registry],
      collect() {
        for (const model of router.list()) this.set(labels(model.id), model.state === 'loaded' || model.state === 'loading' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'heylook_model_memory_bytes',
      help: "Estimated memory of each resident model (the provider's estimate).",
      labelNames: modelLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const model of router.list()) if (model.state === 'loaded') this.set(labels(model.id), model.sizeBytes ?? 0);
      },
    });
    new Gauge({
      name: 'heylook_cpu_engine_working',
      help: 'Generations and embeddings under way on each CPU engine of the process (llama.cpp, mlx).',
      labelNames: ['engine'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const engine of cpuShare().snapshot()) this.set({ engine: engine.name }, engine.working);
      },
    });
    new Gauge({
      name: 'heylook_cpu_engine_threads',
      help: 'Threads a CPU engine was told to use while another engine works too (its share of the cores); 0 while it uses its own setting.',
      labelNames: ['engine'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const engine of cpuShare().snapshot()) this.set({ engine: engine.name }, engine.threads ?? 0);
      },
    });
    new Gauge({
      name: 'heylook_active_requests',
      help: 'Requests holding each model now.',
      labelNames: modelLabels,
      registers: [registry],
      collect() {
        for (const model of router.list()) this.set(labels(model.id), model.activeRequests);
      },
    });

    const onGeneration: Parameters<typeof router.on<'generation'>>[1] = (event) => {
      const model = labels(event.modelId);
      tokens.inc({ ...model, kind: 'prompt' }, event.promptTokens);
      tokens.inc({ ...model, kind: 'completion' }, event.completionTokens);
      generations.inc({ ...model, outcome: event.outcome });
      if (event.timeToFirstTokenMs !== undefined) timeToFirstToken.observe(model, event.timeToFirstTokenMs / 1000);
      if (event.outcome === 'finished' && event.completionTokens > 0 && event.durationMs > 0) {
        tokensPerSecond.observe(model, event.completionTokens / (event.durationMs / 1000));
      }
    };
    const onLoadEnd: Parameters<typeof router.on<'load-end'>>[1] = ({ modelId, durationMs, error }) => {
      loads.inc({ ...labels(modelId), result: error === undefined ? 'ok' : 'error' });
      if (error === undefined) loadSeconds.observe(labels(modelId), durationMs / 1000);
    };
    const onUnload: Parameters<typeof router.on<'unload'>>[1] = ({ modelId, reason }) => unloads.inc({ ...labels(modelId), reason });
    const onBroken: Parameters<typeof router.on<'broken'>>[1] = ({ modelId }) => failures.inc(labels(modelId));
    router.on('generation', onGeneration);
    router.on('load-end', onLoadEnd);
    router.on('unload', onUnload);
    router.on('broken', onBroken);
    app.addHook('onClose', async () => {
      router.off('generation', onGeneration);
      router.off('load-end', onLoadEnd);
      router.off('unload', onUnload);
      router.off('broken', onBroken);
    });

    // The raw response's close covers hijacked (streamed) replies, which skip onResponse.
    app.addHook('onRequest', async (request, reply) => {
      const started = performance.now();
      reply.raw.once('close', () => {
        const route = request.routeOptions.url ?? 'unmatched';
        requests.inc({ route, method: request.method, status: String(reply.raw.statusCode) });
        requestSeconds.observe({ route }, (performance.now() - started) / 1000);
      });
    });

    app.get(path, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  },
  { fastify: '5.x', name: '@heylook/server-metrics' },
);
