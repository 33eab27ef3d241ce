import { createHash } from 'node:crypto';
import { type ModelEntry, type ModelInfo, type ModelRouter, parseRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { modelDetails, modelDigest, modifiedAt, ollamaCapabilities } from '../model-facts.js';
import { ollamaName, resolveModelName } from '../model-names.js';
import type { OllamaServerOptions } from '../ollama-server-options.js';
import { modelNameRequestSchema } from '../request-schemas.js';

const serverStarted = new Date().toISOString();

/** A pinned model "expires" far in the future, as in Ollama. */
const pinnedExpiry = '2318-11-26T00:00:00.000Z';

/** GET /api/tags, POST /api/show, GET /api/ps — facts read from the model files, not made up. */
export function modelRoutes(app: FastifyInstance, { router }: OllamaServerOptions): void {
  app.get('/tags', async (request) => {
    const models = await Promise.all(
      router
        .models()
        .filter((entry) => entry.enabled)
        .map(async (entry) => {
          const { info: _info, ...model } = await listing(router, entry, (error) =>
            request.log.warn({ model: entry.id }, `cannot describe model "${entry.id}" (${error instanceof Error ? error.message : String(error)}); listing it without file facts`),
          );
          return model;
        }),
    );
    return { models };
  });

  app.post('/show', async (request) => {
    const body = parseRequest(modelNameRequestSchema, request.body);
    const entry = resolveModelName(router, (body.model ?? body.name)!);
    const info = await router.describe(entry.id);
    const files = info.files ?? [];
    return {
      modelfile: modelfile(entry, info),
      parameters: parameters(entry),
      template: info.chatTemplate ?? '',
      details: modelDetails(info),
      model_info: {
        ...info.metadata,
        'general.architecture': info.family,
        'general.parameter_count': info.parameterCount,
        ...(info.family && info.contextLength ? { [`${info.family}.context_length`]: info.contextLength } : {}),
      },
      capabilities: ollamaCapabilities(info),
      modified_at: files.length ? await modifiedAt(files) : serverStarted,
    };
  });

  app.get('/ps', async () => {
    const loaded = router.list().filter((model) => model.state === 'loaded');
    return {
      models: await Promise.all(
        loaded.map(async (status) => {
          const { name, digest, details, size, info } = await listing(router, status.entry);
          return {
            name,
            model: name,
            size: status.sizeBytes ?? size,
            digest,
            details,
            expires_at: status.pinned ? pinnedExpiry : (status.expiresAt?.toISOString() ?? new Date().toISOString()),
            size_vram: 0,
            context_length: info.contextLength ?? 0,
          };
        }),
      ),
    };
  });
}

/**
 * A model's listing. When its provider cannot describe it (a missing file, a provider that is
 * not installed), `onDescribeError` hears why and the model is still listed, without file facts:
 * a model that disappears from /api/tags is harder to debug than one whose requests say why.
 */
async function listing(router: ModelRouter, entry: ModelEntry, onDescribeError?: (error: unknown) => void) {
  const info: ModelInfo = await router.describe(entry.id).catch((error: unknown) => {
    if (!onDescribeError) throw error;
    onDescribeError(error);
    return {};
  });
  const files = info.files ?? [];
  const name = ollamaName(entry.id);
  if (info.remote) {
    // No files here: named by where it is served, with the fields Ollama lists its remote models with.
    const digest = createHash('sha256').update(`${info.remote.host}\n${info.remote.model}`).digest('hex');
    const remote = { remote_model: info.remote.model, remote_host: info.remote.host };
    return { name, model: name, modified_at: new Date(0).toISOString(), size: 0, digest, details: modelDetails(info), ...remote, info };
  }
  // describe()/info() are optional: a provider that reports no files still gets listed, with
  // a digest that names the model (stable across restarts) instead of its bytes.
  return {
    name,
    model: name,
    modified_at: files.length ? await modifiedAt(files) : serverStarted,
    size: info.fileSize ?? 0,
    digest: files.length ? await modelDigest(files) : identityDigest(entry),
    details: modelDetails(info),
    info,
  };
}

function identityDigest(entry: ModelEntry): string {
  return createHash('sha256').update(`${entry.provider}\0${entry.id}\0${JSON.stringify(entry.config)}`).digest('hex');
}

function parameters(entry: ModelEntry): string {
  const names: Record<string, string> = {
    temperature: 'temperature',
    top_p: 'top_p',
    top_k: 'top_k',
    min_p: 'min_p',
    repeat_penalty: 'repeat_penalty',
    repetition_penalty: 'repeat_penalty',
    n_ctx: 'num_ctx',
    seed: 'seed',
  };
  const lines: string[] = [];
  for (const [key, value] of Object.entries(entry.config)) {
    if (names[key] !== undefined && value !== undefined) lines.push(`${names[key]} ${String(value)}`);
  }
  for (const stop of (entry.config.stop as string[] | undefined) ?? []) lines.push(`stop ${JSON.stringify(stop)}`);
  return lines.join('\n');
}

function modelfile(entry: ModelEntry, info: ModelInfo): string {
  const lines = [`# Modelfile generated by heylook from ${entry.source}`, `FROM ${info.files?.[0] ?? entry.id}`];
  if (info.chatTemplate) lines.push(`TEMPLATE """${info.chatTemplate}"""`);
  for (const line of parameters(entry).split('\n').filter(Boolean)) lines.push(`PARAMETER ${line}`);
  return `${lines.join('\n')}\n`;
}
