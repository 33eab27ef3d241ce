// Builds the MLX addon with cmake-js against Node-API headers (nothing downloaded).
// Finds MLX through MLX_DIR, the installed mlx-cpu wheel (Linux), or `python3 -m mlx --cmake-dir`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
function mlxDir() {
  if (process.env.MLX_DIR) return process.env.MLX_DIR;
  const wheel = path.join(root, '.mlx', 'mlx', 'share', 'cmake', 'MLX');
  if (existsSync(wheel)) return wheel;
  try {
    return execFileSync('python3', ['-m', 'mlx', '--cmake-dir'], { encoding: 'utf8' }).trim();
  } catch {
    console.error('MLX not found: run `node scripts/install-mlx.mjs` (Linux) or set MLX_DIR to <mlx>/share/cmake/MLX.');
    process.exit(1);
  }
}
// OpenBLAS for the Linux wheel's MLX (native/src/blas.cpp); an MLX_DIR build brings its own BLAS.
const openblas = path.join(root, '.mlx', 'scipy_openblas32', 'lib');
const openblasOption = !process.env.MLX_DIR && existsSync(openblas) ? [`--CDOPENBLAS_DIR=${openblas}`] : [];
const cmakeJs = path.join(root, 'node_modules', '.bin', 'cmake-js');
// Configured every time, so a changed option reaches an existing build folder; the build stays incremental.
const run = (args) => execFileSync(cmakeJs, [...args, '--out', 'build'], { cwd: root, stdio: 'inherit' });
run(['configure', `--CDMLX_DIR=${mlxDir()}`, ...openblasOption]);
run(['build', '--parallel', '2']);
