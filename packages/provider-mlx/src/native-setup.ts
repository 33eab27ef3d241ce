import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { heylookCacheDir, type ProviderReadiness } from '@heylook/core';

/** The mlx-cpu wheel the addon is built against on Linux (also in scripts/install-mlx.mjs). */
export const MLX_CPU_VERSION = '0.32.4';

/** Finishes the setup from any app folder; npx uses an installed @heylook/cli when there is one. */
export const MLX_SETUP_COMMAND = 'npx -p @heylook/cli heylook mlx setup';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const addonFile = path.join(packageRoot, 'build', 'Release', 'heylook_mlx.node');

/**
 * scipy-openblas32, whose OpenBLAS runs MLX's float32 matrix products on Linux instead of the
 * wheel's reference BLAS (native/src/blas.cpp; also in scripts/install-mlx.mjs).
 */
export const OPENBLAS_VERSION = '0.3.34.481.3';

/**
 * The wheels live in heylook's cache folder, not inside the installed package, because the
 * addon's RPATH points at libmlx and OpenBLAS: one stable, version-keyed folder lets every app
 * (and a reinstall) reuse the wheels and the built addon instead of downloading and compiling again.
 */
export function mlxWheelDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(heylookCacheDir(env), `mlx-cpu-${MLX_CPU_VERSION}`);
}

export function openblasWheelDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(heylookCacheDir(env), `scipy-openblas32-${OPENBLAS_VERSION}`);
}

export interface SetupOptions {
  /** Progress lines (default: none). Build tool output goes to stderr when set. */
  log?: (line: string) => void;
  /** Rebuild even if a working addon is there. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

type Found = { ok: true; value: string } | { ok: false; problem: string; fix: string };

/** Is the addon built and does it load (libmlx found)? Reads nothing from the network. */
export function checkNative(): ProviderReadiness {
  if (!existsSync(addonFile)) {
    return {
      ready: false,
      problem: 'the MLX addon is not built (install scripts were skipped or a build tool was missing)',
      fix: `run \`${MLX_SETUP_COMMAND}\` in your app folder`,
    };
  }
  try {
    const addon = createRequire(import.meta.url)(addonFile) as { mlxVersion?: string; blas?: () => { library: string } };
    return { ready: true, detail: `MLX ${addon.mlxVersion ?? '?'}, BLAS: ${addon.blas?.().library ?? '?'}` };
  } catch (error) {
    return {
      ready: false,
      problem: `the MLX addon does not load (${firstLine((error as Error).message)})`,
      fix: `run \`${MLX_SETUP_COMMAND} --force\` to reinstall MLX and rebuild it`,
    };
  }
}

/**
 * Makes the addon ready: finds MLX (MLX_DIR; on Linux the pinned mlx-cpu wheel, installed with
 * pip into the cache folder; on macOS the Python mlx package), checks CMake and a C++ compiler,
 * then builds with cmake-js, or copies an addon built earlier from the same sources and MLX.
 * Never throws for a missing piece: it returns what is missing and the command that finishes.
 */
export async function setupNative(options: SetupOptions = {}): Promise<ProviderReadiness> {
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  if (!options.force) {
    const current = checkNative();
    if (current.ready) return current;
  }
  const mlxDir = findMlx(env, log, options.force === true);
  if (!mlxDir.ok) return notReady(mlxDir);
  const openblasDir = findOpenblas(mlxDir.value, env, log, options.force === true);
  if (!openblasDir.ok) return notReady(openblasDir);
  const cmake = findCmake();
  if (!cmake.ok) return notReady(cmake);
  const compiler = findCompiler(env);
  if (!compiler.ok) return notReady(compiler);

  const cached = path.join(heylookCacheDir(env), 'mlx-addon', buildKey(mlxDir.value, openblasDir.value), 'heylook_mlx.node');
  if (existsSync(cached) && !options.force) {
    log(`using the addon built earlier: ${cached}`);
  } else {
    log(`building the MLX addon (MLX from ${mlxDir.value}); this takes a few minutes`);
    const cmakeJs = path.join(path.dirname(createRequire(import.meta.url).resolve('cmake-js/package.json')), 'bin', 'cmake-js');
    const jobs = String(Math.max(1, os.availableParallelism()));
    const cmakeOptions = [`--CDMLX_DIR=${mlxDir.value}`, ...(openblasDir.value ? [`--CDOPENBLAS_DIR=${openblasDir.value}`] : [])];
    const build = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build', ...cmakeOptions, '--parallel', jobs], {
      cwd: packageRoot,
      env,
      stdio: ['ignore', options.log ? 2 : 'pipe', options.log ? 2 : 'pipe'],
      encoding: 'utf8',
    });
    if (build.status !== 0 || !existsSync(addonFile)) {
      const tail = `${build.stderr ?? ''}${build.stdout ?? ''}`.trim().split('\n').slice(-5).join(' | ');
      return {
        ready: false,
        problem: `the addon build failed (cmake-js exited ${build.status ?? build.signal})${tail ? `: ${tail}` : ''}`,
        fix: `check that your compiler supports C++20, then run \`${MLX_SETUP_COMMAND} --force\``,
      };
    }
    mkdirSync(path.dirname(cached), { recursive: true });
    copyFileSync(addonFile, cached);
    return checkNative();
  }
  mkdirSync(path.dirname(addonFile), { recursive: true });
  copyFileSync(cached, addonFile);
  return checkNative();
}

function findMlx(env: NodeJS.ProcessEnv, log: (line: string) => void, force: boolean): Found {
  if (env.MLX_DIR) {
    if (existsSync(path.join(env.MLX_DIR, 'MLXConfig.cmake'))) return { ok: true, value: env.MLX_DIR };
    return { ok: false, problem: `MLX_DIR=${env.MLX_DIR} has no MLXConfig.cmake`, fix: 'point MLX_DIR at <mlx>/share/cmake/MLX, or unset it' };
  }
  // The workspace's own wheel (pnpm run build:native), when this package runs from the repo.
  const workspace = path.join(packageRoot, '.mlx', 'mlx', 'share', 'cmake', 'MLX');
  if (existsSync(workspace)) return { ok: true, value: workspace };
  if (process.platform === 'darwin') {
    const result = spawnSync('python3', ['-m', 'mlx', '--cmake-dir'], { encoding: 'utf8' });
    if (result.status === 0 && result.stdout.trim()) return { ok: true, value: result.stdout.trim() };
    return {
      ok: false,
      problem: 'MLX is not installed (python3 -m mlx --cmake-dir found nothing)',
      fix: `run \`pip3 install mlx\` (or set MLX_DIR=<mlx>/share/cmake/MLX), then \`${MLX_SETUP_COMMAND}\``,
    };
  }
  if (process.platform !== 'linux') {
    return { ok: false, problem: `MLX has no build for ${process.platform}`, fix: 'use macOS or Linux, or the gguf provider' };
  }
  const target = mlxWheelDir(env);
  const installed = pipInstall(`mlx-cpu==${MLX_CPU_VERSION}`, target, `mlx_cpu-${MLX_CPU_VERSION}.dist-info`, log, force);
  return installed.ok ? { ok: true, value: path.join(target, 'mlx', 'share', 'cmake', 'MLX') } : installed;
}

/**
 * The folder of OpenBLAS for an MLX from the pinned Linux wheel, whose own BLAS is netlib's
 * reference one; '' (none) for any other MLX: macOS has Accelerate, and an MLX_DIR build
 * brings the BLAS it was built with.
 */
function findOpenblas(mlxDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void, force: boolean): Found {
  if (process.platform !== 'linux' || env.MLX_DIR) return { ok: true, value: '' };
  // The workspace's own wheels (pnpm run build:native) sit side by side.
  const workspace = path.join(packageRoot, '.mlx', 'scipy_openblas32', 'lib');
  if (mlxDir.startsWith(path.join(packageRoot, '.mlx'))) {
    return existsSync(workspace)
      ? { ok: true, value: workspace }
      : { ok: false, problem: `OpenBLAS is missing from ${path.dirname(path.dirname(workspace))}`, fix: 'run `pnpm run build:native` again' };
  }
  const target = openblasWheelDir(env);
  const installed = pipInstall(`scipy-openblas32==${OPENBLAS_VERSION}`, target, `scipy_openblas32-${OPENBLAS_VERSION}.dist-info`, log, force);
  return installed.ok ? { ok: true, value: path.join(target, 'scipy_openblas32', 'lib') } : installed;
}

/** Installs one pinned wheel (no dependencies) into `target` with pip, unless `marker` says it is there. */
function pipInstall(spec: string, target: string, marker: string, log: (line: string) => void, force: boolean): Found {
  if (existsSync(path.join(target, marker)) && !force) return { ok: true, value: target };
  const pip = spawnSync('python3', ['-m', 'pip', '--version'], { encoding: 'utf8' });
  if (pip.status !== 0) {
    return {
      ok: false,
      problem: `python3 with pip is missing (needed once, to fetch ${spec})`,
      fix: `install it (e.g. \`sudo apt install python3-pip\`), then run \`${MLX_SETUP_COMMAND}\``,
    };
  }
  log(`installing ${spec} with pip into ${target}`);
  // Into a fresh folder first, so an interrupted install never looks complete.
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const install = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', partial, spec], {
    encoding: 'utf8',
  });
  if (install.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    return {
      ok: false,
      problem: `pip could not install ${spec} (${firstLine(install.stderr) || `exit ${install.status}`})`,
      fix: `check your network or pip settings, then run \`${MLX_SETUP_COMMAND}\``,
    };
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  return { ok: true, value: target };
}

function findCmake(): Found {
  const result = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  const version = /cmake version (\d+)\.(\d+)/.exec(result.stdout ?? '');
  const fix = `install CMake 3.24 or newer (\`pip3 install cmake\`, \`sudo apt install cmake\` or \`brew install cmake\`), then run \`${MLX_SETUP_COMMAND}\``;
  if (result.status !== 0 || !version) return { ok: false, problem: 'CMake is missing', fix };
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major < 3 || (major === 3 && minor < 24)) return { ok: false, problem: `CMake ${major}.${minor} is too old (3.24 or newer is needed)`, fix };
  return { ok: true, value: `${major}.${minor}` };
}

function findCompiler(env: NodeJS.ProcessEnv): Found {
  // CMake uses $CXX when it is set, so that is the one that has to work.
  if (env.CXX) {
    if (spawnSync(env.CXX, ['--version'], { encoding: 'utf8' }).status === 0) return { ok: true, value: env.CXX };
    return { ok: false, problem: `the C++ compiler CXX=${env.CXX} does not run`, fix: `fix or unset CXX, then run \`${MLX_SETUP_COMMAND}\`` };
  }
  for (const candidate of ['c++', 'g++', 'clang++']) {
    if (spawnSync(candidate, ['--version'], { encoding: 'utf8' }).status === 0) return { ok: true, value: candidate };
  }
  return {
    ok: false,
    problem: 'no C++20 compiler found (tried c++, g++, clang++)',
    fix: `install one (\`sudo apt install g++\`, or \`xcode-select --install\` on macOS), then run \`${MLX_SETUP_COMMAND}\``,
  };
}

/** Same sources + same MLX and BLAS + same platform = same addon (Node-API: independent of the Node version). */
function buildKey(mlxDir: string, openblasDir: string): string {
  const hash = createHash('sha256').update(`${process.platform}-${process.arch}\0${mlxDir}\0${openblasDir}\0`);
  const sources = path.join(packageRoot, 'native', 'src');
  for (const file of readdirSync(sources).sort()) hash.update(file).update(readFileSync(path.join(sources, file)));
  hash.update(readFileSync(path.join(packageRoot, 'CMakeLists.txt')));
  return hash.digest('hex').slice(0, 16);
}

function notReady(found: Extract<Found, { ok: false }>): ProviderReadiness {
  return { ready: false, problem: found.problem, fix: found.fix };
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n').find((line) => line.trim())?.trim() ?? '';
}
