import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ggufTensorCount, type ModelEntry } from '@heylook/core';

/** A model file or folder found on disk, before it becomes a ModelEntry. */
export interface FoundModel {
  id: string;
  /** Provider id: gguf for GGUF files, mlx for MLX/Hugging Face folders. */
  provider: string;
  path: string;
  /** Which store it came from ("./models", "ollama", ...). */
  store: string;
}

export interface ModelStore {
  name: string;
  dir: string;
  scan: (dir: string) => Promise<FoundModel[]>;
}

/** The standard local stores, honouring each tool's own environment variables. */
export function standardStores(cwd: string, env: NodeJS.ProcessEnv = process.env): ModelStore[] {
  const home = env.HOME ?? os.homedir();
  const hfHub = env.HF_HUB_CACHE ?? path.join(env.HF_HOME ?? path.join(home, '.cache', 'huggingface'), 'hub');
  const ollama = env.OLLAMA_MODELS ?? path.join(home, '.ollama', 'models');
  const lmStudio = [path.join(home, '.lmstudio', 'models'), path.join(home, '.cache', 'lm-studio', 'models')].find((dir) => existsSync(dir));
  return [
    { name: './models', dir: path.join(cwd, 'models'), scan: (dir) => scanFolder(dir, './models') },
    { name: 'huggingface', dir: hfHub, scan: scanHuggingFaceCache },
    { name: 'ollama', dir: ollama, scan: scanOllamaStore },
    ...(lmStudio ? [{ name: 'lm-studio', dir: lmStudio, scan: (dir: string) => scanFolder(dir, 'lm-studio') }] : []),
  ];
}

/** Everything the stores hold, ids made unique. Missing stores are skipped silently. */
export async function discoverModels(stores: ModelStore[]): Promise<FoundModel[]> {
  const found: FoundModel[] = [];
  for (const store of stores) {
    if (!existsSync(store.dir)) continue;
    found.push(...(await store.scan(store.dir).catch(() => [])));
  }
  return uniqueIds(found);
}

export function toModelEntry(model: FoundModel): ModelEntry {
  return {
    id: model.id,
    provider: model.provider,
    enabled: true,
    tags: [model.store],
    aliases: [],
    config: { model_path: model.path },
    baseDir: path.dirname(model.path),
    source: `${model.store} (${model.path})`,
  };
}

/** GGUF files and MLX/HF folders (config.json + *.safetensors) below `dir`, a few levels deep. */
export async function scanFolder(dir: string, store: string, depth = 4): Promise<FoundModel[]> {
  const found: FoundModel[] = [];
  const walk = async (current: string, level: number) => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    if (isModelFolder(entries.map((entry) => entry.name))) {
      found.push({ id: path.basename(current), provider: 'mlx', path: current, store });
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      if (entry.isFile() && entry.name.toLowerCase().endsWith('.gguf') && !isSidecarGguf(entry.name)) {
        // A vocab-only GGUF (no tensors) is a tokenizer test file, not a model.
        if ((await ggufTensorCount(full)) !== 0) found.push({ id: entry.name.replace(/\.gguf$/i, ''), provider: 'gguf', path: full, store });
      } else if (entry.isDirectory() && level < depth && !entry.name.startsWith('.')) {
        await walk(full, level + 1);
      }
    }
  };
  await walk(dir, 0);
  return found;
}

/** hub/models--org--name/snapshots/<revision>/... → one model per repo, named org/name. */
async function scanHuggingFaceCache(dir: string): Promise<FoundModel[]> {
  const found: FoundModel[] = [];
  for (const repo of await readdir(dir).catch(() => [])) {
    if (!repo.startsWith('models--')) continue;
    const name = repo.slice('models--'.length).replaceAll('--', '/');
    const snapshots = path.join(dir, repo, 'snapshots');
    const revisions = await readdir(snapshots).catch(() => []);
    const latest = await newest(revisions.map((revision) => path.join(snapshots, revision)));
    if (!latest) continue;
    for (const model of await scanFolder(latest, 'huggingface', 2)) {
      found.push({ ...model, id: model.provider === 'mlx' ? name : `${name}/${model.id}` });
    }
  }
  return found;
}

/**
 * Ollama's store: manifests/<registry>/<namespace>/<model>/<tag> are JSON manifests whose
 * `application/vnd.ollama.image.model` layer names a GGUF blob in blobs/sha256-<hex>.
 */
export async function scanOllamaStore(dir: string): Promise<FoundModel[]> {
  const found: FoundModel[] = [];
  for (const [registry, namespace, model, tag] of await nestedNames(path.join(dir, 'manifests'), 4)) {
    const manifest = (await readJson(path.join(dir, 'manifests', registry!, namespace!, model!, tag!))) as
      | { layers?: { mediaType?: string; digest?: string }[] }
      | undefined;
    const layer = manifest?.layers?.find((item) => item.mediaType === 'application/vnd.ollama.image.model');
    if (!layer?.digest) continue;
    const blob = path.join(dir, 'blobs', layer.digest.replace(':', '-'));
    if (!existsSync(blob)) continue;
    const name = namespace === 'library' ? model : `${namespace}/${model}`;
    found.push({ id: `${name}:${tag}`, provider: 'gguf', path: blob, store: 'ollama' });
  }
  return found;
}

/** Every path exactly `depth` levels below `dir`, as lists of names. */
async function nestedNames(dir: string, depth: number): Promise<string[][]> {
  if (depth === 0) return [[]];
  const names = await readdir(dir).catch(() => [] as string[]);
  const nested = await Promise.all(
    names.map(async (name) => (await nestedNames(path.join(dir, name), depth - 1)).map((rest) => [name, ...rest])),
  );
  return nested.flat();
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isModelFolder(names: string[]): boolean {
  return names.includes('config.json') && names.some((name) => name.endsWith('.safetensors'));
}

/** Projector and LoRA files sit next to models but are not models. */
function isSidecarGguf(name: string): boolean {
  return /mmproj|lora/i.test(name);
}

async function newest(dirs: string[]): Promise<string | undefined> {
  let best: { dir: string; time: number } | undefined;
  for (const dir of dirs) {
    const time = (await stat(dir).catch(() => undefined))?.mtimeMs;
    if (time !== undefined && (!best || time > best.time)) best = { dir, time };
  }
  return best?.dir;
}

/** `base`, or `base-2`, `base-3`... whichever `taken` lacks; the result is added to `taken`. */
export function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let index = 2; taken.has(id); index++) id = `${base}-${index}`;
  taken.add(id);
  return id;
}

/** Makes every id unique, in order (see uniqueId). */
export function uniqueIds<Model extends { id: string }>(models: Model[]): Model[] {
  const taken = new Set<string>();
  return models.map((model) => ({ ...model, id: uniqueId(model.id, taken) }));
}
