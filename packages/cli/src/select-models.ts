import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isHeylookError, loadConfigFile, parseProviderConfig, type LoadedConfig, type ModelEntry, type ProviderRegistry } from '@heylook/core';
import { CliError } from './cli-error.js';
import { discoverModels, scanFolder, standardStores, toModelEntry, uniqueIds, type ModelStore } from './discover-models.js';

export interface ModelSelection {
  models: ModelEntry[];
  /** The models.yaml that was used, if any. */
  config?: LoadedConfig;
  /** Where the models came from, for the start-up summary. */
  origin: string;
  warnings: string[];
}

export interface SelectOptions {
  cwd: string;
  /** Installed providers; for `--model FILE` they say which of them can serve it. */
  registry: ProviderRegistry;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  modelPaths?: string[];
}

/**
 * Which models to serve: `--model PATH` files and folders; else a models.yaml (`--config`,
 * `$HEYLOOK_CONFIG`, ./models.yaml, the user config dir); else whatever the standard local
 * stores hold.
 */
export async function selectModels(options: SelectOptions): Promise<ModelSelection> {
  if (options.modelPaths?.length) {
    const models = (
      await Promise.all(options.modelPaths.map((modelPath) => modelsAtPath(path.resolve(options.cwd, modelPath), options.registry)))
    ).flat();
    return { models: uniqueIds(models), origin: `--model ${options.modelPaths.join(' ')}`, warnings: [] };
  }
  const configPath = findConfig(options);
  if (configPath) {
    try {
      const config = await loadConfigFile(configPath);
      const empty = config.models.some((model) => model.enabled)
        ? []
        : [`${configPath} lists no enabled models, so nothing will be served. Add some with \`heylook init DIR\` or edit the file.`];
      return { models: config.models, config, origin: configPath, warnings: [...config.warnings, ...empty] };
    } catch (error) {
      if (isHeylookError(error)) throw new CliError(error.message);
      throw error;
    }
  }
  const stores = standardStores(options.cwd, options.env);
  const found = await discoverModels(stores);
  return {
    models: found.map(toModelEntry),
    origin: `discovery in ${stores.map((store) => `${store.name} (${store.dir})`).join(', ')}`,
    warnings: found.length === 0 ? [noModelsFound(stores)] : [],
  };
}

/** What discovery looked at, and the ways to give heylook a model. */
function noModelsFound(stores: ModelStore[]): string {
  return [
    'No models to serve: no models.yaml, no --model, and no models in the places heylook looks:',
    ...stores.map((store) => `    ${store.name.padEnd(12)} ${store.dir}${existsSync(store.dir) ? '  (no models in it)' : '  (not there)'}`),
    '  To serve a model, any one of:',
    '    - put a .gguf file or an MLX / Hugging Face model folder into ./models and start again;',
    '    - `heylook serve --model PATH` for one file or folder, or `heylook init DIR` to write a models.yaml;',
    '    - models you pulled with Ollama (`ollama pull NAME`) or downloaded with `hf download REPO` are found on their own.',
    '  A tiny test model (stories260K.gguf, MIT) ships in the heylook repository under models/.',
  ].join('\n');
}

function findConfig({ configPath, env, cwd }: SelectOptions): string | undefined {
  if (configPath) {
    const absolute = path.resolve(cwd, configPath);
    if (!existsSync(absolute)) throw new CliError(`Config file not found: ${absolute}`);
    return absolute;
  }
  if (env.HEYLOOK_CONFIG) {
    const absolute = path.resolve(cwd, env.HEYLOOK_CONFIG);
    if (!existsSync(absolute)) throw new CliError(`HEYLOOK_CONFIG points at a missing file: ${absolute}`);
    return absolute;
  }
  const configHome = env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), '.config');
  return [path.join(cwd, 'models.yaml'), path.join(configHome, 'heylook', 'models.yaml')].find((candidate) => existsSync(candidate));
}

/** A model file (served by the first installed provider that says it can), or a folder of models. */
async function modelsAtPath(modelPath: string, registry: ProviderRegistry): Promise<ModelEntry[]> {
  const info = await stat(modelPath).catch(() => undefined);
  if (!info) throw new CliError(`No such file or folder: ${modelPath}`);
  if (info.isFile()) {
    for (const { providerId } of registry.list()) {
      const plugin = await registry.get(providerId);
      if (await plugin.canServe?.(modelPath)) {
        const id = path.basename(modelPath).replace(/\.[^.]+$/, '');
        return [toModelEntry({ id, provider: providerId, path: modelPath, store: '--model' })];
      }
    }
    throw new CliError(`No installed provider can serve ${modelPath}; --model takes a .gguf file or an MLX/Hugging Face model folder.`);
  }
  const found = await scanFolder(modelPath, '--model');
  if (found.length === 0) throw new CliError(`No GGUF files or MLX model folders in ${modelPath}.`);
  return found.map(toModelEntry);
}

/**
 * Validates each enabled model's provider config. A model whose provider is not installed
 * stays listed (its requests get a coded error saying what to install); an invalid config
 * stops the CLI with the file, line and key.
 */
export async function checkModels(registry: ProviderRegistry, models: ModelEntry[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const entry of models.filter((model) => model.enabled)) {
    if (!registry.has(entry.provider)) {
      const known = registry.list().flatMap((provider) => [provider.providerId, ...provider.aliases]);
      const guess = closest(entry.provider, known);
      warnings.push(
        guess
          ? `Model "${entry.id}" (${entry.source}) names provider "${entry.provider}", which is not installed. Did you mean "${guess}"?`
          : `Model "${entry.id}" needs provider "${entry.provider}", which is not installed: add @heylook/provider-${entry.provider} to your project's dependencies.`,
      );
      continue;
    }
    // Every provider so far reads its weights from `model_path`; a missing one fails only at
    // the first request otherwise.
    const modelPath = entry.config.model_path;
    if (typeof modelPath === 'string' && !existsSync(path.resolve(entry.baseDir, modelPath))) {
      warnings.push(`Model "${entry.id}" (${entry.source}): model_path ${path.resolve(entry.baseDir, modelPath)} does not exist; its requests will fail until it does.`);
    }
    try {
      warnings.push(...parseProviderConfig(await registry.get(entry.provider), entry).warnings);
    } catch (error) {
      if (isHeylookError(error)) throw new CliError(error.message);
      throw error;
    }
  }
  return warnings;
}

/** The known name within two edits of `name`, for "did you mean". */
function closest(name: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
