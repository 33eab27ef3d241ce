import { describe, expect, it } from 'vitest';
import { configFileSchema } from './config-schema.js';
import { resolveServerSettings, settingsFromEnv, settingsFromFile } from './server-settings.js';

describe('transport and limit settings', () => {
  it('default to loopback, no keys, local origins only and bounded requests', () => {
    const settings = resolveServerSettings([]);
    expect(settings).toMatchObject({ host: '127.0.0.1', apiKeys: [], corsOrigins: [], allowedHosts: [], bodyLimit: 64 * 1024 * 1024, maxQueuePerModel: 64 });
  });

  it('merge flags over HEYLOOK_* over the file', () => {
    const file = settingsFromFile(
      configFileSchema.parse({ cors_origins: ['https://file.example'], body_limit: '1MB', max_images: 2, max_image_size: '1KiB', allowed_hosts: ['box'] }),
    );
    const env = settingsFromEnv({ HEYLOOK_ORIGINS: 'https://a.example, https://b.example', HEYLOOK_MAX_QUEUE_PER_MODEL: '3', HEYLOOK_API_KEYS: 'k1,k2' });
    const settings = resolveServerSettings([{ maxMessages: 10 }, env, file]);
    expect(settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(settings.apiKeys).toEqual(['k1', 'k2']);
    expect(settings.maxQueuePerModel).toBe(3);
    expect(settings.maxMessages).toBe(10);
    expect(settings.bodyLimit).toBe(1_000_000);
    expect(settings.maxImages).toBe(2);
    expect(settings.maxImageBytes).toBe(1024);
    expect(settings.allowedHosts).toEqual(['box']);
  });

  it('name the setting when a value is malformed', () => {
    expect(() => resolveServerSettings([{ bodyLimit: 'lots' }])).toThrow(/body_limit/);
    expect(() => resolveServerSettings([{ maxMessages: 0 }])).toThrow(/max_messages/);
  });
});
