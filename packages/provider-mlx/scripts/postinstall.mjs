// Runs when the package is installed as a dependency: builds the MLX addon (see
// src/native-setup.ts). It never fails the install; a missing piece gets one message with
// the command that finishes the job. In the workspace, `pnpm run build:native` does this.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const setupModule = path.join(root, 'dist', 'native-setup.js');
const installed = root.split(path.sep).includes('node_modules');

if (installed && existsSync(setupModule) && !process.env.HEYLOOK_SKIP_MLX_SETUP) {
  try {
    const { setupNative } = await import(pathToFileURL(setupModule).href);
    const result = await setupNative({ log: (line) => console.error(`@heylook/provider-mlx: ${line}`) });
    if (result.ready) console.error(`@heylook/provider-mlx: ready (${result.detail})`);
    else console.error(`@heylook/provider-mlx: not ready: ${result.problem}. Fix: ${result.fix}`);
  } catch (error) {
    console.error(`@heylook/provider-mlx: setup failed: ${error?.message ?? error}. Fix: run \`npx -p @heylook/cli heylook mlx setup\``);
  }
}
process.exit(0);
