import { defineModel, ModelRouter, ProviderRegistry } from '@heylook/core';
import gguf from '@heylook/provider-gguf';
import ollamaServer from '@heylook/server-ollama';
import openaiServer from '@heylook/server-openai';
import Fastify from 'fastify';

/** One GGUF model behind the OpenAI API (/v1) and the Ollama API (/api), composed by hand. */
export async function createApp(modelPath: string) {
  const registry = new ProviderRegistry();
  registry.register(gguf);
  const router = new ModelRouter({
    registry,
    // n_threads 1: the tiny test model runs ~1000x slower on more threads than cores.
    models: [defineModel({ id: 'stories', provider: 'gguf', config: { model_path: modelPath, n_ctx: 512, n_threads: 1 } })],
  });
  const app = Fastify();
  await app.register(openaiServer, { router });
  await app.register(ollamaServer, { router });
  app.addHook('onClose', () => router.close());
  return app;
}
