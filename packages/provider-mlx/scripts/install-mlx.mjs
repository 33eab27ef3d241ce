// Installs MLX's C++ library (libmlx, headers, CMake config) for the native build.
// Linux: the pinned `mlx-cpu` and `scipy-openblas32` wheels from PyPI into a git-ignored folder, with pip.
// macOS: nothing to install; the build uses MLX_DIR or the user's Python mlx.
// Idempotent, and offline-safe once installed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MLX_CPU_VERSION = '0.32.4';
// OpenBLAS for MLX's float32 matrix products (see native/src/blas.cpp); also in src/native-setup.ts.
export const OPENBLAS_VERSION = '0.3.34.481.3';
const here = path.dirname(fileURLToPath(import.meta.url));
export const target = path.resolve(here, '../.mlx');
const wheels = [
  [`mlx-cpu==${MLX_CPU_VERSION}`, `mlx_cpu-${MLX_CPU_VERSION}.dist-info`],
  [`scipy-openblas32==${OPENBLAS_VERSION}`, `scipy_openblas32-${OPENBLAS_VERSION}.dist-info`],
];

if (process.platform === 'darwin') {
  console.log('macOS: using MLX from MLX_DIR or `python3 -m mlx --cmake-dir`; nothing to install.');
} else {
  for (const [spec, marker] of wheels) {
    if (existsSync(path.join(target, marker))) {
      console.log(`${spec} already installed in ${target}`);
      continue;
    }
    console.log(`installing ${spec} into ${target}`);
    execFileSync(
      'python3',
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', target, spec],
      { stdio: 'inherit' },
    );
  }
}
