import { errorCodes, parseProviderConfig } from '@heylook/core';
import { testModelEntry } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
import { openAICompatibleProvider } from './openai-compatible-provider.js';

const parse = (config: Record<string, unknown>) => parseProviderConfig(openAICompatibleProvider, testModelEntry('openai-compatible', config, { id: 'far' }));

describe('openai-compatible config', () => {
  it('fills defaults and warns about keys it does not know', () => {
    const { config, warnings } = parse({ base_url: 'http://gpu:8000/v1', model: 'qwen', n_ctx: 4096 });
    expect(config).toMatchObject({ timeout: 300, max_parallel: 8, health_interval: 10, sticky_prefix: false, headers: {} });
    expect(config.capabilities).toEqual({ chat: true, complete: true, embed: true, tools: true, json_schema: true, vision: false, logprobs: false });
    expect(warnings).toEqual([expect.stringContaining('"n_ctx" is not a openai-compatible setting')]);
  });

  it('needs exactly one of base_url and base_urls, http(s) URLs without credentials, and one way to give the key', () => {
    for (const bad of [
      { model: 'm' },
      { model: 'm', base_url: 'http://a:1', base_urls: ['http://b:1'] },
      { model: 'm', base_urls: [] },
      { model: 'm', base_url: 'ftp://a/v1' },
      { model: 'm', base_url: 'http://user:key@a:1/v1' },
      { model: 'm', base_url: 'http://a:1', api_key: 'k', api_key_env: 'K' },
      { base_url: 'http://a:1' },
    ]) {
      expect(() => parse(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: errorCodes.invalidConfig }));
    }
  });

  it('refuses to load when api_key_env names an unset variable, and says which', async () => {
    const { config } = parse({ base_url: 'http://127.0.0.1:9/v1', model: 'm', api_key_env: 'HEYLOOK_TEST_SURELY_UNSET_KEY' });
    const model = openAICompatibleProvider.create('far', config, { logger: { debug() {}, info() {}, warn() {}, error() {} }, baseDir: '.' });
    await expect(model.load()).rejects.toMatchObject({ code: errorCodes.invalidConfig, message: expect.stringContaining('$HEYLOOK_TEST_SURELY_UNSET_KEY') });
    expect(await openAICompatibleProvider.check(config)).toMatchObject({ ready: false });
  });
});
