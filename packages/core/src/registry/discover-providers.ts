import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { supportedSpecificationVersions } from '../provider/base-provider.js';
import type { ProviderRegistry } from './provider-registry.js';

/** What discovery found for one dependency that looks like a provider package. */
export interface DiscoveredProvider {
  packageName: string;
  version?: string;
  packageDir?: string;
  providerId?: string;
  aliases: string[];
  specificationVersion?: string;
  /** The package.json whose dependencies named it. */
  foundIn: string;
  status: 'ok' | 'not-installed' | 'incompatible' | 'invalid';
  problem?: string;
  /** Imports the package (only for status ok). */
  load?: () => Promise<unknown>;
}

const providerPackagePattern = /^(@heylook\/provider-[\w.-]+|heylook-provider-[\w.-]+|@[\w.-]+\/heylook-provider-[\w.-]+)$/;

export function isProviderPackageName(name: string): boolean {
  return providerPackagePattern.test(name) && name !== '@heylook/provider-testkit';
}

/**
 * Finds provider packages named in package.json dependencies: the nearest project
 * package.json above `cwd` and any extra package.json files (the CLI's own). Each
 * candidate's package.json must carry `"heylook": { "specificationVersion", "providerId" }`;
 * nothing is imported here. node_modules is never listed, only looked up by name.
 */
export async function discoverProviders(options: {
  cwd: string;
  extraPackageJsons?: string[];
}): Promise<DiscoveredProvider[]> {
  const manifests = [findNearestPackageJson(options.cwd), ...(options.extraPackageJsons ?? [])].filter(
    (file): file is string => file !== undefined,
  );
  const found = new Map<string, DiscoveredProvider>();
  for (const manifest of manifests) {
    const json = await readJson(manifest);
    if (!json) continue;
    const names = Object.keys({
      ...(json.optionalDependencies as object),
      ...(json.devDependencies as object),
      ...(json.dependencies as object),
    });
    for (const name of names.filter(isProviderPackageName)) {
      if (!found.has(name)) found.set(name, await inspectPackage(name, manifest));
    }
  }
  return [...found.values()];
}

/** Registers every usable discovered provider lazily. Returns the ones that were not usable. */
export function registerDiscovered(registry: ProviderRegistry, discovered: DiscoveredProvider[]): DiscoveredProvider[] {
  const unusable: DiscoveredProvider[] = [];
  for (const provider of discovered) {
    if (provider.status !== 'ok' || !provider.load || !provider.providerId) {
      unusable.push(provider);
      continue;
    }
    registry.registerLazy(
      provider.providerId,
      provider.aliases,
      {
        packageName: provider.packageName,
        version: provider.version,
        foundIn: provider.foundIn,
      },
      provider.load,
    );
  }
  return unusable;
}

function findNearestPackageJson(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Node's lookup of one package by name: <dir>/node_modules/<name>, from the manifest's folder up. */
function locatePackage(name: string, fromManifest: string): string | undefined {
  for (let dir = path.dirname(fromManifest); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

async function inspectPackage(packageName: string, foundIn: string): Promise<DiscoveredProvider> {
  const base: DiscoveredProvider = { packageName, foundIn, aliases: [], status: 'not-installed' };
  const packageDir = locatePackage(packageName, foundIn);
  if (!packageDir) return { ...base, problem: `listed in ${foundIn} but not installed; run your package manager's install` };
  const json = await readJson(path.join(packageDir, 'package.json'));
  const heylook = json?.heylook as { specificationVersion?: unknown; providerId?: unknown; aliases?: unknown } | undefined;
  const info: DiscoveredProvider = {
    ...base,
    packageDir,
    ...(typeof json?.version === 'string' ? { version: json.version } : {}),
  };
  if (!heylook || typeof heylook.providerId !== 'string' || typeof heylook.specificationVersion !== 'string') {
    return {
      ...info,
      status: 'invalid',
      problem: 'its package.json has no "heylook": { "specificationVersion", "providerId" } field, so it is not a heylook provider',
    };
  }
  const described: DiscoveredProvider = {
    ...info,
    providerId: heylook.providerId,
    specificationVersion: heylook.specificationVersion,
    aliases: Array.isArray(heylook.aliases) ? heylook.aliases.filter((alias): alias is string => typeof alias === 'string') : [],
  };
  if (!(supportedSpecificationVersions as readonly string[]).includes(heylook.specificationVersion)) {
    return {
      ...described,
      status: 'incompatible',
      problem: `${packageName}@${info.version ?? '?'} implements provider specification "${heylook.specificationVersion}"; this heylook supports ${supportedSpecificationVersions.join(', ')}`,
    };
  }
  const entry = entryPoint(json!, packageDir);
  if (!entry) return { ...described, status: 'invalid', problem: 'its package.json names no entry point ("exports" or "main")' };
  return { ...described, status: 'ok', load: () => import(pathToFileURL(entry).href) };
}

function entryPoint(json: Record<string, unknown>, packageDir: string): string | undefined {
  const exportsField = json.exports as unknown;
  const pick = (target: unknown): string | undefined => {
    if (typeof target === 'string') return target;
    if (target && typeof target === 'object') {
      const conditions = target as Record<string, unknown>;
      return pick(conditions['.'] ?? conditions.import ?? conditions.node ?? conditions.default);
    }
    return undefined;
  };
  const relative = pick(exportsField) ?? (typeof json.main === 'string' ? json.main : undefined) ?? 'index.js';
  return path.join(packageDir, relative);
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
