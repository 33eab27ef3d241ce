import {
  abortOnClose,
  assertCanChat,
  assertCanComplete,
  collectStream,
  errorCodes,
  HeylookError,
  openModelStream,
  parseRequest,
  type ChatMessage,
  type StreamPart,
} from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { loadOrUnload } from '../load-or-unload.js';
import { resolveModelName } from '../model-names.js';
import { streamNdjson } from '../ndjson.js';
import type { OllamaServerOptions } from '../ollama-server-options.js';
import { generateRequestSchema } from '../request-schemas.js';
import { toGenerationOptions, toImages } from '../to-chat-request.js';
import { finalStats, toGenerateLines, toLogprobsOption, toOllamaLogprobs } from '../to-ollama-line.js';

/**
 * POST /api/generate. `raw` (or `suffix`) completes the prompt as is and returns `context`
 * token ids that a later raw request can continue from; otherwise the prompt (and `system`)
 * go through the model's chat template. A model without a template gets Ollama's default
 * template, `{{ .Prompt }}`: the prompt as is (and no system). An empty prompt loads or
 * unloads the model.
 */
export function generateRoute(app: FastifyInstance, { router }: OllamaServerOptions): void {
  app.post('/generate', async (request, reply) => {
    const startedAt = performance.now();
    const body = parseRequest(generateRequestSchema, request.body);
    const entry = resolveModelName(router, body.model);
    const signal = abortOnClose(reply.raw);
    if (body.prompt === '' && !body.images?.length && !body.context?.length && body.suffix === undefined) {
      const done_reason = await loadOrUnload(router, entry.id, body.keep_alive, signal);
      return { model: body.model, created_at: new Date().toISOString(), response: '', done: true, done_reason };
    }
    if (body.template) {
      throw new HeylookError(
        errorCodes.unsupportedCapability,
        'heylook does not run Ollama Go templates; send raw: true with a formatted prompt, or set chat_format_template for the model in models.yaml',
        { param: 'template' },
      );
    }
    const options = { ...toGenerationOptions(body.options, body.format), ...toLogprobsOption(body) };
    const raw = body.raw === true || body.suffix !== undefined || (!body.images?.length && !(await hasTemplate(router, entry.id)));
    if (!raw && body.context?.length) {
      request.log.debug('context is only continued for raw requests; ignoring it');
    }
    const { lease, parts } = await openModelStream(router, entry.id, { signal, keepAlive: body.keep_alive }, (provider): AsyncIterable<StreamPart> => {
      if (raw) {
        assertCanComplete(provider, options);
        return provider.complete(
          {
            ...options,
            prompt: body.prompt,
            suffix: body.suffix,
            ...(body.context ? { context: body.context } : {}),
          },
          { signal },
        );
      }
      const messages: ChatMessage[] = [
        ...(body.system ? [{ role: 'system' as const, content: body.system }] : []),
        body.images?.length
          ? { role: 'user', content: [{ type: 'text', text: body.prompt }, ...toImages(body.images, 'images')] }
          : { role: 'user', content: body.prompt },
      ];
      const chatRequest = { ...options, messages, ...(body.think === undefined ? {} : { think: body.think !== false }) };
      assertCanChat(provider, chatRequest);
      return provider.chat(chatRequest, { signal });
    });
    const context = { model: body.model, startedAt, loadDurationMs: lease.loadDurationMs };
    if (body.stream !== false) return streamNdjson(reply, parts, (part) => toGenerateLines(context, part));
    const result = await collectStream(parts);
    return {
      model: body.model,
      created_at: new Date().toISOString(),
      response: result.text,
      ...(result.reasoning ? { thinking: result.reasoning } : {}),
      ...finalStats(context, result.finishReason, result.usage),
      ...(result.context ? { context: result.context } : {}),
      ...toOllamaLogprobs(result.logprobs),
    };
  });
}

/**
 * Whether the model goes through a chat template. Only a model described as completing raw
 * prompts and carrying no template (or named chat format) gets the default one; a provider
 * that says nothing keeps its chat path.
 */
async function hasTemplate(router: OllamaServerOptions['router'], modelId: string): Promise<boolean> {
  const info = await router.describe(modelId).catch(() => undefined);
  if (info?.capabilities?.complete !== true) return true;
  return Boolean(info.chatTemplate || info.chatFormat);
}
