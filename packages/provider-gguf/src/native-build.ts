import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { findPackageDir, heylookCacheDir, llamaCppBuildFlags, runCommand } from '@heylook/core';

/**
 * A llama.cpp binding for node-llama-cpp compiled on this machine, for this CPU (GGML_NATIVE)
 * or a GPU backend, from the llama.cpp source node-llama-cpp ships (offline). On x86-64 the
 * prebuilt binary carries per-CPU variants picked at run time, measured as fast or faster than
 * a native build (README, bench/RESULTS.md); this is for CPUs and GPU backends it misses.
 *
 * node-llama-cpp looks for local builds in its own package folder (llama/localBuilds) before
 * its prebuilt binaries. We build there with its own CLI, then move the build into heylook's
 * cache (keyed by node-llama-cpp's version and this CPU) and link it back, so a reinstall or a
 * fresh clone gets it again from the cache in a second (`heylook gguf build` again).
 */
export interface NativeBindingBuild {
  /** The build in heylook's cache. */
  cacheDir: string;
  /** Where node-llama-cpp finds it (a link to cacheDir). */
  linkPath: string;
  /** false when the cache already held it (it was only linked). */
  built: boolean;
  seconds: number;
}

export interface BuildNativeBindingOptions {
  /** Rebuild even if the cache holds a build. */
  force?: boolean;
  /** node-llama-cpp's gpu option for the build: 'auto' (default) picks CUDA/Vulkan/Metal when present. */
  gpu?: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** heylook's cache root (default heylookCacheDir()). */
  cacheRoot?: string;
  /** node-llama-cpp's package folder (default: the one this package resolves; tests pass another). */
  packageDir?: string;
}

interface Layout {
  packageDir: string;
  version: string;
  localBuilds: string;
  /** This machine's folder in the cache; holds one node-llama-cpp build folder and build-info.json. */
  cacheDir: string;
}

function layout({ cacheRoot = heylookCacheDir(), packageDir = findPackageDir(import.meta.resolve('node-llama-cpp'), 'node-llama-cpp') }: Pick<BuildNativeBindingOptions, 'cacheRoot' | 'packageDir'>): Layout {
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { packageDir, version, localBuilds: join(packageDir, 'llama', 'localBuilds'), cacheDir: join(cacheRoot, 'node-llama-cpp', `${version}-${cpuKey()}`) };
}

/** A native build only runs on the CPU it was made for: the cache key names the platform and the CPU's model and features. */
export function cpuKey(): string {
  let features = '';
  try {
    features = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? '';
  } catch {
    // Not Linux: the model name stands for the features.
  }
  const digest = createHash('sha256').update(`${cpus()[0]?.model ?? ''}\n${features}`).digest('hex').slice(0, 12);
  return `${platform()}-${arch()}-${digest}`;
}

/** The build folder the cache holds for this machine (named as node-llama-cpp names it), or undefined. */
function cachedBuild(cacheDir: string): string | undefined {
  if (!existsSync(join(cacheDir, 'build-info.json'))) return undefined;
  const name = (JSON.parse(readFileSync(join(cacheDir, 'build-info.json'), 'utf8')) as { folder?: string }).folder;
  return name && existsSync(join(cacheDir, name)) ? name : undefined;
}

/** Whether this machine has a native build linked where node-llama-cpp looks, and where. */
export function nativeBindingStatus(options: Pick<BuildNativeBindingOptions, 'cacheRoot' | 'packageDir'> = {}): { cacheDir: string; cached: boolean; linked: boolean } {
  const { localBuilds, cacheDir } = layout(options);
  const name = cachedBuild(cacheDir);
  return { cacheDir, cached: name !== undefined, linked: name !== undefined && isLinkTo(join(localBuilds, name), join(cacheDir, name)) };
}

/** Builds (or links from the cache) the native binding. Idempotent; takes minutes the first time. */
export async function buildNativeBinding(options: BuildNativeBindingOptions = {}): Promise<NativeBindingBuild> {
  const started = Date.now();
  const log = options.onProgress ?? (() => {});
  const { packageDir, version, localBuilds, cacheDir } = layout(options);
  let name = options.force ? undefined : cachedBuild(cacheDir);
  const built = name === undefined;
  if (name === undefined) {
    // A build node-llama-cpp's own CLI made in its folder is taken as it is.
    name = options.force ? undefined : localBuild(localBuilds);
    if (name === undefined) {
      log(`node-llama-cpp ${version}: building llama.cpp for this CPU from the bundled source (several minutes)`);
      if (existsSync(localBuilds)) for (const entry of readdirSync(localBuilds)) if (isLink(join(localBuilds, entry))) rmSync(join(localBuilds, entry));
      const cli = join(packageDir, 'dist', 'cli', 'cli.js');
      const signal = options.signal ? { signal: options.signal } : {};
      // The source comes from the git bundle in node-llama-cpp's package: no network.
      await runCommand(process.execPath, [cli, 'source', 'download', '--skipBuild', '--noUsageExample'], { log, ...signal });
      await runCommand(process.execPath, [cli, 'source', 'build', '--gpu', options.gpu ?? 'auto', '--noUsageExample', '--noCustomCmakeBuildOptionsInBinaryFolderName'], {
        log,
        ...signal,
        env: { ...process.env, ...buildFlagsEnv() },
      });
      name = localBuild(localBuilds);
    }
    if (!name) throw new Error(`node-llama-cpp's build finished but left no build in ${localBuilds}`);
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    moveDir(join(localBuilds, name), join(cacheDir, name));
    // The cloned source is only needed to build; it is hundreds of MB inside node_modules.
    rmSync(join(packageDir, 'llama', 'llama.cpp'), { recursive: true, force: true });
    writeFileSync(join(cacheDir, 'build-info.json'), `${JSON.stringify({ folder: name, nodeLlamaCpp: version, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
  }
  const linkPath = join(localBuilds, name);
  if (!isLinkTo(linkPath, join(cacheDir, name))) {
    mkdirSync(localBuilds, { recursive: true });
    rmSync(linkPath, { recursive: true, force: true });
    symlinkSync(join(cacheDir, name), linkPath, 'dir');
  }
  log(`node-llama-cpp ${version}: native build ${built ? 'made' : 'found'} in ${join(cacheDir, name)}, linked at ${linkPath}`);
  return { cacheDir: join(cacheDir, name), linkPath, built, seconds: (Date.now() - started) / 1000 };
}

/**
 * llamaCppBuildFlags as node-llama-cpp takes CMake options: from NODE_LLAMA_CPP_CMAKE_OPTION_*
 * variables (cmake-js sets CMAKE_CXX_FLAGS itself, so the Release flags carry ours). With CI set,
 * node-llama-cpp honours --noCustomCmakeBuildOptionsInBinaryFolderName: the build keeps the folder
 * name getLlama() looks for.
 */
function buildFlagsEnv(): Record<string, string> {
  const flags = llamaCppBuildFlags();
  if (flags.length === 0) return {};
  const release = `-O3 -DNDEBUG ${flags.join(' ')}`;
  return { CI: 'true', NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_C_FLAGS_RELEASE: release, NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CXX_FLAGS_RELEASE: release };
}

/** A finished build (node-llama-cpp writes buildDone.status last; not a link to the cache) in its local build folder. */
function localBuild(localBuilds: string): string | undefined {
  if (!existsSync(localBuilds)) return undefined;
  return readdirSync(localBuilds).find((entry) => !isLink(join(localBuilds, entry)) && existsSync(join(localBuilds, entry, 'buildDone.status')));
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function isLinkTo(file: string, target: string): boolean {
  return isLink(file) && readlinkSync(file) === target;
}

/** rename, or copy and delete when the cache is on another file system. */
function moveDir(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    cpSync(from, to, { recursive: true });
    rmSync(from, { recursive: true, force: true });
  }
}
