import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '@heylook/core';
import type { CommandModule } from 'yargs';
import { formatTable } from '../format-table.js';
import { setUpProviders } from '../provider-setup.js';
import { selectModels } from '../select-models.js';

interface LsArgs {
  config?: string;
  model?: string[];
}

/** heylook ls — the models `serve` would serve, without loading any. */
export const lsCommand: CommandModule<object, LsArgs> = {
  command: 'ls',
  describe: 'List configured (or discovered) models',
  builder: (yargs) =>
    yargs.option('config', { type: 'string', describe: 'models.yaml to read' }).option('model', { type: 'string', array: true, describe: 'list these paths instead' }),
  handler: async (args) => {
    const cwd = process.cwd();
    const { registry } = await setUpProviders(cwd);
    const selection = await selectModels({
      cwd,
      registry,
      env: process.env,
      configPath: args.config,
      modelPaths: args.model,
    });
    const rows = await Promise.all(
      selection.models.map(async (model) => {
        const modelPath = typeof model.config.model_path === 'string' ? path.resolve(model.baseDir, model.config.model_path) : '';
        const size = modelPath ? await pathSize(modelPath) : undefined;
        return [model.id, model.provider, (size === undefined ? '-' : formatBytes(size)), model.enabled ? 'yes' : 'no', modelPath || remoteOrigin(model.config) || '-'];
      }),
    );
    process.stdout.write(`models from ${selection.origin}\n${formatTable(['ID', 'PROVIDER', 'SIZE', 'ENABLED', 'PATH'], rows)}\n`);
    for (const warning of selection.warnings) process.stderr.write(`warning: ${warning}\n`);
  },
};

/** Where a remote model is served: openai-compatible's `model` at its `base_url(s)`. */
function remoteOrigin(config: Record<string, unknown>): string | undefined {
  const urls = Array.isArray(config.base_urls) ? config.base_urls : typeof config.base_url === 'string' ? [config.base_url] : [];
  return urls.length ? `${String(config.model ?? '?')} @ ${urls.join(', ')}` : undefined;
}

/** Bytes of a file, or of the files directly inside a model folder. */
async function pathSize(target: string): Promise<number | undefined> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return undefined;
  if (info.isFile()) return info.size;
  const { readdir } = await import('node:fs/promises');
  const sizes = await Promise.all((await readdir(target)).map(async (name) => (await stat(path.join(target, name)).catch(() => undefined))?.size ?? 0));
  return sizes.reduce((sum, size) => sum + size, 0);
}
