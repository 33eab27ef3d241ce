// Installs MLX's C++ library (libmlx, headers, CMake config) for the native build.
// Linux: the pinned `mlx-cpu` wheel from PyPI into a git-ignored folder, with pip.
// macOS: nothing to install; the build uses MLX_DIR or the user's Python mlx.
// Idempotent, and offline-safe once installed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MLX_CPU_VERSION = '0.32.4';
const here = path.dirname(fileURLToPath(import.meta.url));
export const target = path.resolve(here, '../.mlx');
const marker = path.join(target, `mlx_cpu-${MLX_CPU_VERSION}.dist-info`);

if (process.platform === 'darwin') {
  console.log('macOS: using MLX from MLX_DIR or `python3 -m mlx --cmake-dir`; nothing to install.');
} else if (existsSync(marker)) {
  console.log(`mlx-cpu ${MLX_CPU_VERSION} already installed in ${target}`);
} else {
  console.log(`installing mlx-cpu ${MLX_CPU_VERSION} into ${target}`);
  execFileSync(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', target, `mlx-cpu==${MLX_CPU_VERSION}`],
    { stdio: 'inherit' },
  );
}
