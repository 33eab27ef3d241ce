import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import { parseByteSize, parseKeepAlive } from '../util/duration.js';
import type { ConfigFile } from './config-schema.js';

/** Settings of one server process, after flags, env and file were merged. */
export interface ServerSettings {
  host: string;
  port: number;
  maxLoadedModels: number;
  /** Bytes, or undefined for no budget. */
  maxMemory?: number;
  maxQueue: number;
  /** Milliseconds a request may wait for a model, or undefined for no limit. */
  queueTimeoutMs?: number;
  /** Default keep-alive in ms (Infinity = pinned). */
  keepAliveMs: number;
  defaultModel?: string;
  apiKeys: string[];
  /** Browser origins allowed besides the local defaults (`*` wildcards). */
  corsOrigins: string[];
  /** Host names accepted besides local ones when bound to loopback. */
  allowedHosts: string[];
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Most requests holding one model at once beyond what it decodes in parallel. */
  maxQueuePerModel: number;
  maxMessages: number;
  maxImages: number;
  /** Largest image, decoded, in bytes. */
  maxImageBytes: number;
  logLevel: string;
}

export const defaultServerSettings: ServerSettings = {
  host: '127.0.0.1',
  port: 8080,
  maxLoadedModels: 2,
  maxQueue: 64,
  keepAliveMs: 5 * 60_000,
  apiKeys: [],
  corsOrigins: [],
  allowedHosts: [],
  bodyLimit: 64 * 1024 * 1024,
  maxQueuePerModel: 64,
  maxMessages: 2048,
  maxImages: 16,
  maxImageBytes: 20 * 1024 * 1024,
  logLevel: 'info',
};

export type ServerSettingsInput = Partial<{
  host: string;
  port: number | string;
  maxLoadedModels: number | string;
  maxMemory: number | string;
  maxQueue: number | string;
  queueTimeout: number | string;
  keepAlive: number | string;
  defaultModel: string;
  apiKeys: string[] | string;
  corsOrigins: string[] | string;
  allowedHosts: string[] | string;
  bodyLimit: number | string;
  maxQueuePerModel: number | string;
  maxMessages: number | string;
  maxImages: number | string;
  maxImageSize: number | string;
  logLevel: string;
}>;

/** `HEYLOOK_PORT` etc. Unset and empty variables are skipped. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ServerSettingsInput {
  const pick = (name: string) => {
    const value = env[`HEYLOOK_${name}`];
    return value === undefined || value === '' ? undefined : value;
  };
  const input: ServerSettingsInput = {};
  const assign = <K extends keyof ServerSettingsInput>(key: K, value: ServerSettingsInput[K] | undefined) => {
    if (value !== undefined) input[key] = value;
  };
  assign('host', pick('HOST'));
  assign('port', pick('PORT'));
  assign('maxLoadedModels', pick('MAX_LOADED_MODELS'));
  assign('maxMemory', pick('MAX_MEMORY'));
  assign('maxQueue', pick('MAX_QUEUE'));
  assign('queueTimeout', pick('QUEUE_TIMEOUT'));
  assign('keepAlive', pick('KEEP_ALIVE'));
  assign('defaultModel', pick('DEFAULT_MODEL'));
  assign('apiKeys', pick('API_KEYS')?.split(',').map((key) => key.trim()).filter(Boolean));
  assign('corsOrigins', pick('ORIGINS'));
  assign('allowedHosts', pick('ALLOWED_HOSTS'));
  assign('bodyLimit', pick('BODY_LIMIT'));
  assign('maxQueuePerModel', pick('MAX_QUEUE_PER_MODEL'));
  assign('maxMessages', pick('MAX_MESSAGES'));
  assign('maxImages', pick('MAX_IMAGES'));
  assign('maxImageSize', pick('MAX_IMAGE_SIZE'));
  assign('logLevel', pick('LOG_LEVEL'));
  return input;
}

export function settingsFromFile(file: ConfigFile | undefined): ServerSettingsInput {
  if (!file) return {};
  const input: ServerSettingsInput = {
    maxLoadedModels: file.max_loaded_models,
    maxQueue: file.max_queue,
    keepAlive: file.keep_alive,
  };
  if (file.host !== undefined) input.host = file.host;
  if (file.port !== undefined) input.port = file.port;
  if (file.max_memory !== undefined) input.maxMemory = file.max_memory;
  if (file.queue_timeout !== undefined) input.queueTimeout = file.queue_timeout;
  if (file.default_model !== undefined) input.defaultModel = file.default_model;
  if (file.api_keys !== undefined) input.apiKeys = file.api_keys;
  if (file.log_level !== undefined) input.logLevel = file.log_level;
  if (file.cors_origins !== undefined) input.corsOrigins = file.cors_origins;
  if (file.allowed_hosts !== undefined) input.allowedHosts = file.allowed_hosts;
  if (file.body_limit !== undefined) input.bodyLimit = file.body_limit;
  if (file.max_queue_per_model !== undefined) input.maxQueuePerModel = file.max_queue_per_model;
  if (file.max_messages !== undefined) input.maxMessages = file.max_messages;
  if (file.max_images !== undefined) input.maxImages = file.max_images;
  if (file.max_image_size !== undefined) input.maxImageSize = file.max_image_size;
  return input;
}

/**
 * Merges layers, earliest wins: pass `[flags, env, file]`. Throws HEYLOOK_INVALID_CONFIG
 * naming the setting when a value is malformed.
 */
export function resolveServerSettings(layers: ServerSettingsInput[]): ServerSettings {
  const first = <K extends keyof ServerSettingsInput>(key: K): ServerSettingsInput[K] | undefined =>
    layers.find((layer) => layer[key] !== undefined)?.[key];
  const invalid = (name: string, value: unknown, expected: string) =>
    new HeylookError(errorCodes.invalidConfig, `Invalid ${name} ${JSON.stringify(value)}: expected ${expected}.`, { param: name });
  const integer = (name: string, value: number | string | undefined, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) throw invalid(name, value, `an integer from ${min} to ${max}`);
    return number;
  };
  const duration = (name: string, value: number | string | undefined) => {
    if (value === undefined) return undefined;
    const ms = parseKeepAlive(value);
    if (ms === undefined) throw invalid(name, value, 'a duration like "5m", seconds, 0 or -1');
    return ms;
  };

  const settings: ServerSettings = { ...defaultServerSettings };
  settings.host = first('host') ?? settings.host;
  settings.port = integer('port', first('port'), 0, 65535) ?? settings.port;
  settings.maxLoadedModels = integer('max_loaded_models', first('maxLoadedModels'), 1) ?? settings.maxLoadedModels;
  settings.maxQueue = integer('max_queue', first('maxQueue'), 0) ?? settings.maxQueue;
  settings.keepAliveMs = duration('keep_alive', first('keepAlive')) ?? settings.keepAliveMs;
  const queueTimeout = duration('queue_timeout', first('queueTimeout'));
  if (queueTimeout !== undefined && Number.isFinite(queueTimeout)) settings.queueTimeoutMs = queueTimeout;
  const maxMemory = first('maxMemory');
  if (maxMemory !== undefined) {
    const bytes = parseByteSize(maxMemory);
    if (bytes === undefined) throw invalid('max_memory', maxMemory, 'a size like "16GB"');
    settings.maxMemory = bytes;
  }
  const defaultModel = first('defaultModel');
  if (defaultModel !== undefined) settings.defaultModel = defaultModel;
  const apiKeys = first('apiKeys');
  settings.apiKeys = typeof apiKeys === 'string' ? apiKeys.split(',').filter(Boolean) : (apiKeys ?? []);
  const list = (value: string[] | string | undefined) =>
    (typeof value === 'string' ? value.split(',') : (value ?? [])).map((item) => item.trim()).filter(Boolean);
  settings.corsOrigins = list(first('corsOrigins'));
  settings.allowedHosts = list(first('allowedHosts'));
  const bytes = (name: string, value: number | string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = parseByteSize(value);
    if (parsed === undefined || parsed <= 0) throw invalid(name, value, 'a size like "64MB"');
    return parsed;
  };
  settings.bodyLimit = bytes('body_limit', first('bodyLimit')) ?? settings.bodyLimit;
  settings.maxImageBytes = bytes('max_image_size', first('maxImageSize')) ?? settings.maxImageBytes;
  settings.maxQueuePerModel = integer('max_queue_per_model', first('maxQueuePerModel'), 0) ?? settings.maxQueuePerModel;
  settings.maxMessages = integer('max_messages', first('maxMessages'), 1) ?? settings.maxMessages;
  settings.maxImages = integer('max_images', first('maxImages'), 0) ?? settings.maxImages;
  settings.logLevel = first('logLevel') ?? settings.logLevel;
  return settings;
}
