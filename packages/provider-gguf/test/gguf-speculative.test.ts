import { describe, expect, it } from 'vitest';
import { collect, createStories } from './fixtures.js';

describe('gguf speculative decoding', () => {
  it('gives exactly the greedy output of the model alone, with the model as its own draft', async () => {
    const plain = createStories();
    const drafted = createStories({ draft_model_path: 'stories260K.gguf', num_draft_tokens: 4 });
    await plain.load();
    await drafted.load();
    try {
      const request = { prompt: 'Once upon a time', maxTokens: 200, temperature: 0 } as const;
      const [alone, withDraft] = [await collect(plain.complete(request)), await collect(drafted.complete(request))];
      expect(withDraft.text).toBe(alone.text);
      expect(withDraft.finish.usage.completionTokens).toBe(alone.finish.usage.completionTokens);
    } finally {
      await plain.unload();
      await drafted.unload();
    }
  });
});
