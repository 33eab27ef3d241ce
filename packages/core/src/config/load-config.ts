import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import { configFileSchema, modelEntrySchema, seedOnlyTopLevelKeys, type ConfigFile } from './config-schema.js';

export type ConfigPath = readonly (string | number)[];

/** A model as the router sees it: the entry plus where it came from. */
export interface ModelEntry {
  id: string;
  provider: string;
  enabled: boolean;
  description?: string;
  tags: string[];
  aliases: string[];
  keepAlive?: string | number;
  /** The provider's `config:` block, not yet validated by the provider. */
  config: Record<string, unknown>;
  /** Folder that relative paths in `config` resolve against. */
  baseDir: string;
  /** Human-readable origin, e.g. "models.yaml:12" or "ollama store". */
  source: string;
  /** Where a config key sits, for error messages ("models.yaml:14"). */
  locate?: (key: string) => string;
}

export interface LoadedConfig {
  file: ConfigFile;
  models: ModelEntry[];
  warnings: string[];
  /** Absolute path of the file, or undefined for a config built in memory. */
  filePath?: string;
}

/** Reads and validates a models.yaml. Throws HEYLOOK_INVALID_CONFIG naming file, line and key. */
export async function loadConfigFile(filePath: string): Promise<LoadedConfig> {
  const absolute = path.resolve(filePath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new HeylookError(
      errorCodes.invalidConfig,
      `Cannot read config file ${absolute}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. Pass an existing models.yaml with --config.`,
      { cause: error },
    );
  }
  return parseConfig(text, absolute);
}

/** Parses models.yaml text; `filePath` names it in errors and anchors relative paths. */
export function parseConfig(text: string, filePath: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const name = path.basename(filePath);
  const where = (at: ConfigPath) => `${name}:${lineOf(document, lineCounter, at)}`;

  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new HeylookError(errorCodes.invalidConfig, `${name}:${line}: not valid YAML: ${first.message.split('\n')[0]}`);
  }
  const raw: unknown = document.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HeylookError(errorCodes.invalidConfig, `${name}:1: expected a mapping with a "models:" list at the top level.`);
  }

  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HeylookError(errorCodes.invalidConfig, formatIssues(parsed.error.issues, where, 'Fix the config file'));
  }

  const warnings: string[] = [];
  const topLevel = raw as Record<string, unknown>;
  const knownTop = new Set(Object.keys(configFileSchema.shape));
  for (const key of Object.keys(topLevel)) {
    if (knownTop.has(key)) continue;
    const why = seedOnlyTopLevelKeys[key];
    warnings.push(`${where([key])}: "${key}" is ignored${why ? `: ${why}` : ' (unknown key)'}.`);
  }
  const knownEntry = new Set(Object.keys(modelEntrySchema.shape));
  const rawModels = (topLevel.models ?? []) as Record<string, unknown>[];
  rawModels.forEach((model, index) => {
    for (const key of Object.keys(model)) {
      if (!knownEntry.has(key)) warnings.push(`${where(['models', index, key])}: "${key}" is ignored (unknown key).`);
    }
  });

  const seen = new Map<string, number>();
  const baseDir = path.dirname(filePath);
  const models = parsed.data.models.map((entry, index): ModelEntry => {
    for (const name of [entry.id, ...entry.aliases]) {
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        throw new HeylookError(
          errorCodes.invalidConfig,
          `${where(['models', index, 'id'])}: model name "${name}" is already used by models[${earlier}]; ids and aliases must be unique.`,
        );
      }
      seen.set(name, index);
    }
    return {
      id: entry.id,
      provider: entry.provider,
      enabled: entry.enabled,
      description: entry.description,
      tags: entry.tags,
      aliases: entry.aliases,
      keepAlive: entry.keep_alive,
      config: entry.config,
      baseDir,
      source: where(['models', index]),
      locate: (key: string) => where(['models', index, 'config', key]),
    };
  });

  const defaultModel = parsed.data.default_model;
  if (defaultModel !== undefined && !seen.has(defaultModel)) {
    throw new HeylookError(
      errorCodes.invalidConfig,
      `${where(['default_model'])}: default_model "${defaultModel}" is not the id of any model; use one of: ${[...seen.keys()].join(', ') || '(no models)'}.`,
    );
  }
  return { file: parsed.data, models, warnings, filePath };
}

/** Turns zod issues into one message, each issue on its own line with file:line and key. */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  where: (at: ConfigPath) => string,
  prefix: string,
): string {
  const lines = issues.map((issue) => {
    const key = formatKey(issue.path as ConfigPath);
    return `  ${where(issue.path as ConfigPath)}: ${key ? `${key}: ` : ''}${issue.message}`;
  });
  return `${prefix}:\n${lines.join('\n')}`;
}

export function formatKey(at: ConfigPath): string {
  return at.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );
}

/** Line of the deepest existing node along `at` (a missing key points at its parent). */
function lineOf(document: Document, lineCounter: LineCounter, at: ConfigPath): number {
  let node: unknown = document.contents;
  let offset = (document.contents as Node | null)?.range?.[0] ?? 0;
  for (const key of at) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[key as number] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset).line;
}
