import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { heylookCacheDir, llamaCppBuildFlags, runCommand } from '@heylook/core';
import { findLlamaCppSource } from './llama-cpp-source.js';

/**
 * The two programs we build (CMake target → name in our bin folder): the server, and the RPC
 * worker other machines run for sharding (this llama.cpp names its target ggml-rpc-server).
 */
const TARGETS = { 'llama-server': 'llama-server', 'ggml-rpc-server': 'rpc-server' } as const;

/** Bumped when the build's flags change, so a cached build made the old way is rebuilt. 2: AMX compiled out (llamaCppBuildFlags). */
const RECIPE = 2;

export interface BuildLlamaServerOptions {
  /** Cache root; default $HEYLOOK_CACHE (as provider-mlx; $HEYLOOK_CACHE_DIR also works), else $XDG_CACHE_HOME/heylook, else ~/.cache/heylook. */
  cacheDir?: string;
  /** Parallel compile jobs (default 2: CI machines and laptops stay usable). */
  jobs?: number;
  /** Rebuild even if the binaries for this tag exist. */
  force?: boolean;
  /** Receives progress lines (CMake/compiler output, our own steps). */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface LlamaServerBuild {
  tag: string;
  /** Folder holding llama-server and rpc-server. */
  binDir: string;
  llamaServerPath: string;
  rpcServerPath: string;
  /** CPU, Metal or CUDA. */
  backend: string;
  /** false when the binaries were already there (the build is idempotent). */
  built: boolean;
  seconds: number;
}

/** Folder of a build of llama.cpp <tag>: src/, build/, bin/, build-info.json. */
export function llamaCppCacheDir(tag: string, cacheDir = heylookCacheDir()): string {
  return join(cacheDir, 'llama.cpp', tag);
}

/** The binaries a finished build left for the tag node-llama-cpp pins, or undefined. */
export function findBuiltLlamaServer(
  cacheDir = heylookCacheDir(),
): { llamaServerPath: string; rpcServerPath: string; tag: string; backend: string | undefined } | undefined {
  let tag: string;
  try {
    tag = findLlamaCppSource().tag;
  } catch {
    return undefined;
  }
  const dir = llamaCppCacheDir(tag, cacheDir);
  // build-info.json is written last, so its presence means both binaries are complete.
  const infoFile = join(dir, 'build-info.json');
  if (!existsSync(infoFile)) return undefined;
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { recipe?: number; backend?: string };
  if (info.recipe !== RECIPE) return undefined;
  const llamaServerPath = join(dir, 'bin', exe('llama-server'));
  const rpcServerPath = join(dir, 'bin', exe('rpc-server'));
  if (!existsSync(llamaServerPath) || !existsSync(rpcServerPath)) return undefined;
  return { llamaServerPath, rpcServerPath, tag, backend: info.backend };
}

/**
 * Builds llama-server and rpc-server from the llama.cpp source node-llama-cpp ships, with CMake,
 * into the cache folder keyed by llama.cpp's release tag. Offline (the source is a git bundle in
 * an npm package, LLAMA_OPENSSL and the prebuilt web UI download are off). Idempotent.
 */
export async function buildLlamaServer(options: BuildLlamaServerOptions = {}): Promise<LlamaServerBuild> {
  const started = Date.now();
  const log = options.onProgress ?? (() => {});
  const source = findLlamaCppSource();
  const cacheDir = options.cacheDir ?? heylookCacheDir();
  const dir = llamaCppCacheDir(source.tag, cacheDir);
  const binDir = join(dir, 'bin');
  const backend = detectBackend();
  const result = (built: boolean): LlamaServerBuild => ({
    tag: source.tag,
    binDir,
    llamaServerPath: join(binDir, exe('llama-server')),
    rpcServerPath: join(binDir, exe('rpc-server')),
    backend,
    built,
    seconds: (Date.now() - started) / 1000,
  });

  const existing = findBuiltLlamaServer(cacheDir);
  if (existing && !options.force) {
    log(`llama.cpp ${source.tag}: llama-server and rpc-server already built in ${binDir}`);
    return result(false);
  }

  mkdirSync(dir, { recursive: true });
  const srcDir = join(dir, 'src');
  if (!existsSync(join(srcDir, 'CMakeLists.txt'))) {
    log(`llama.cpp ${source.tag}: cloning the source from ${source.bundlePath}`);
    rmSync(srcDir, { recursive: true, force: true });
    await runCommand('git', ['clone', '--quiet', source.bundlePath, srcDir], { log, signal: options.signal });
  }

  const buildDir = join(dir, 'build');
  const flags = llamaCppBuildFlags();
  const cmakeArgs = [
    '-S', srcDir, '-B', buildDir,
    '-DCMAKE_BUILD_TYPE=Release',
    // Static, self-contained executables: nothing to find at run time next to them.
    '-DBUILD_SHARED_LIBS=OFF',
    '-DGGML_RPC=ON',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    '-DLLAMA_BUILD_APP=OFF',
    '-DLLAMA_BUILD_SERVER=ON',
    '-DLLAMA_BUILD_TOOLS=ON',
    // No network: no HTTPS model downloads, no prebuilt web UI fetched from Hugging Face.
    '-DLLAMA_OPENSSL=OFF',
    '-DLLAMA_USE_PREBUILT_UI=OFF',
    '-DLLAMA_BUILD_UI=OFF',
    ...(flags.length ? [`-DCMAKE_C_FLAGS=${flags.join(' ')}`, `-DCMAKE_CXX_FLAGS=${flags.join(' ')}`] : []),
    ...(backend === 'metal' ? ['-DGGML_METAL=ON'] : []),
    ...(backend === 'cuda' ? ['-DGGML_CUDA=ON'] : []),
    ...(hasProgram('ninja') ? ['-G', 'Ninja'] : []),
  ];
  log(`llama.cpp ${source.tag}: configuring (${backend})`);
  await runCommand('cmake', cmakeArgs, { log, signal: options.signal });
  const jobs = String(options.jobs ?? 2);
  const targets = Object.keys(TARGETS);
  log(`llama.cpp ${source.tag}: building ${targets.join(' and ')} with ${jobs} jobs`);
  await runCommand('cmake', ['--build', buildDir, '--config', 'Release', '-j', jobs, '--target', ...targets], {
    log,
    signal: options.signal,
  });

  mkdirSync(binDir, { recursive: true });
  for (const [target, name] of Object.entries(TARGETS)) {
    const built = [join(buildDir, 'bin', exe(target)), join(buildDir, 'bin', 'Release', exe(target))].find((p) => existsSync(p));
    if (!built) throw new Error(`the build finished but ${target} is not in ${join(buildDir, 'bin')}`);
    // Copy via a temp name + rename so a concurrent reader never sees a half-written binary.
    const tmp = join(binDir, `.${exe(name)}.tmp`);
    copyFileSync(built, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, join(binDir, exe(name)));
  }
  const info = result(true);
  const sizes = Object.fromEntries(Object.values(TARGETS).map((t) => [t, statSync(join(binDir, exe(t))).size]));
  writeFileSync(join(dir, 'build-info.json'), `${JSON.stringify({ tag: source.tag, recipe: RECIPE, flags, backend, seconds: info.seconds, sizes }, null, 2)}\n`);
  log(`llama.cpp ${source.tag}: done in ${info.seconds.toFixed(0)} s → ${binDir}`);
  return info;
}

function detectBackend(): 'metal' | 'cuda' | 'cpu' {
  if (platform() === 'darwin') return 'metal';
  if (hasProgram('nvcc')) return 'cuda';
  return 'cpu';
}

function hasProgram(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

function exe(name: string): string {
  return platform() === 'win32' ? `${name}.exe` : name;
}
