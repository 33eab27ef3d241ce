import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { createFakeProviderPlugin } from '../testing/fake-provider.js';
import { loadConfigFile, parseConfig } from './load-config.js';
import { parseProviderConfig } from './parse-provider-config.js';
import { resolveServerSettings, settingsFromEnv, settingsFromFile } from './server-settings.js';

/** A models.yaml in heylookitsanllm's shape, with its seed-only keys. */
const seedConfig = `# seed-era config
default_model: "tiny"
max_concurrent_requests: 2
request_timeout: 300
log_level: "DEBUG"

models:
  - id: "tiny"
    provider: "llama_cpp"
    description: "A tiny model"
    tags: ["gguf", "tiny"]
    enabled: true
    config:
      model_path: "models/tiny.gguf"
      mmproj_path: "models/mmproj.gguf"
      chat_format: "chatml"
      n_ctx: 512
  - id: "off"
    provider: "mlx"
    enabled: false
    config:
      model_path: "modelzoo/some-mlx"
`;

describe('parseConfig', () => {
  it('loads a heylookitsanllm models.yaml and warns about seed-only keys with their lines', () => {
    const loaded = parseConfig(seedConfig, '/srv/app/models.yaml');
    expect(loaded.models.map((model) => model.id)).toEqual(['tiny', 'off']);
    expect(loaded.file.default_model).toBe('tiny');
    expect(loaded.file.max_loaded_models).toBe(2);
    expect(loaded.models[0]).toMatchObject({ provider: 'llama_cpp', tags: ['gguf', 'tiny'], baseDir: '/srv/app', source: 'models.yaml:8' });
    expect(loaded.models[1]?.enabled).toBe(false);
    expect(loaded.warnings).toEqual([
      expect.stringMatching(/^models\.yaml:3: "max_concurrent_requests" is ignored: heylook batches/),
      expect.stringMatching(/^models\.yaml:4: "request_timeout" is ignored/),
    ]);
  });

  it('names file, line and key for a wrong type', () => {
    const text = 'max_loaded_models: 2\nmodels:\n  - id: a\n    provider: gguf\n    enabled: "yes"\n';
    expect(() => parseConfig(text, '/x/models.yaml')).toThrow(
      expect.objectContaining({
        code: errorCodes.invalidConfig,
        message: expect.stringContaining('models.yaml:5: models[0].enabled: Invalid input: expected boolean'),
      }),
    );
  });

  it('points at the entry when a required key is missing', () => {
    const text = 'models:\n  - id: a\n    config: {}\n';
    expect(() => parseConfig(text, '/x/models.yaml')).toThrow(/models\.yaml:2: models\[0\]\.provider/);
  });

  it('reports YAML syntax errors with a line', () => {
    expect(() => parseConfig('models:\n  - id: a\n   provider: [unclosed\n', '/x/bad.yaml')).toThrow(/^bad\.yaml:\d+: not valid YAML/);
  });

  it('rejects duplicate ids and aliases, and an unknown default_model', () => {
    const duplicate = 'models:\n  - {id: a, provider: gguf}\n  - {id: b, provider: gguf, aliases: [a]}\n';
    expect(() => parseConfig(duplicate, '/x/m.yaml')).toThrow(/m\.yaml:3: model name "a" is already used/);
    expect(() => parseConfig('default_model: z\nmodels:\n  - {id: a, provider: gguf}\n', '/x/m.yaml')).toThrow(
      /m\.yaml:1: default_model "z" is not the id of any model; use one of: a/,
    );
  });

  it('loadConfigFile reads from disk and names a missing file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-config-'));
    await writeFile(path.join(dir, 'models.yaml'), seedConfig);
    expect((await loadConfigFile(path.join(dir, 'models.yaml'))).models).toHaveLength(2);
    await expect(loadConfigFile(path.join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: errorCodes.invalidConfig });
  });
});

describe('parseProviderConfig', () => {
  const { plugin } = createFakeProviderPlugin();
  const base = parseConfig(
    'models:\n  - id: a\n    provider: fake\n    config:\n      load_delay_ms: "slow"\n      eos_token: "</s>"\n',
    '/x/models.yaml',
  ).models[0]!;

  it('names the line and key of an invalid provider setting', () => {
    expect(() => parseProviderConfig(plugin, base)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/models\.yaml:5: config\.load_delay_ms: Invalid input: expected number/) }),
    );
  });

  it('warns about unknown provider keys instead of failing', () => {
    const entry = { ...base, config: { load_delay_ms: 1, eos_token: '</s>' } };
    const { config, warnings } = parseProviderConfig(plugin, entry);
    expect(config.load_delay_ms).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/^models\.yaml:6: model "a": "eos_token" is not a fake setting/)]);
  });
});

describe('resolveServerSettings', () => {
  it('takes flags over env over file over defaults', () => {
    const file = parseConfig('max_loaded_models: 3\nport: 9000\nhost: 0.0.0.0\nmodels: []\n', '/x/m.yaml').file;
    const env = settingsFromEnv({ HEYLOOK_PORT: '9100', HEYLOOK_MAX_MEMORY: '8GB', HEYLOOK_API_KEYS: 'k1, k2', HEYLOOK_HOST: '' });
    const settings = resolveServerSettings([{ port: 9200 }, env, settingsFromFile(file)]);
    expect(settings).toMatchObject({ port: 9200, host: '0.0.0.0', maxLoadedModels: 3, maxMemory: 8e9, apiKeys: ['k1', 'k2'] });
    expect(resolveServerSettings([])).toMatchObject({ host: '127.0.0.1', port: 8080, maxLoadedModels: 2, keepAliveMs: 300_000 });
  });

  it('names the setting that is malformed', () => {
    expect(() => resolveServerSettings([settingsFromEnv({ HEYLOOK_PORT: 'eighty' })])).toThrow(/Invalid port "eighty"/);
    expect(() => resolveServerSettings([{ keepAlive: 'forever' }])).toThrow(/Invalid keep_alive/);
  });
});
