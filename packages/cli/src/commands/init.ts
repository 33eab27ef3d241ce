import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { CliError } from '../cli-error.js';
import { scanFolder, uniqueId } from '../discover-models.js';

interface InitArgs {
  dirs?: string[];
  output: string;
}

/**
 * heylook init [DIR...] — scans folders for GGUF files and MLX/HF model folders and writes
 * a models.yaml, merging with an existing one: its entries and comments stay, models whose
 * path it already lists are not added twice.
 */
export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init [dirs..]',
  describe: 'Scan folders for models and write (or extend) a models.yaml',
  builder: (yargs) =>
    yargs
      .positional('dirs', { type: 'string', array: true, describe: 'folders to scan (default: current folder)' })
      .option('output', { alias: 'o', type: 'string', default: 'models.yaml', describe: 'file to write' }),
  handler: async (args) => {
    const cwd = process.cwd();
    const output = path.resolve(cwd, args.output);
    const outputDir = path.dirname(output);
    const dirs = (args.dirs?.length ? args.dirs : ['.']).map((dir) => path.resolve(cwd, dir));
    for (const dir of dirs) if (!existsSync(dir)) throw new CliError(`No such folder: ${dir}`);
    const found = (await Promise.all(dirs.map((dir) => scanFolder(dir, 'init')))).flat();

    const document = parseDocument(existsSync(output) ? await readFile(output, 'utf8') : 'max_loaded_models: 2\nmodels: []\n');
    if (document.errors.length > 0) throw new CliError(`${output} is not valid YAML; fix it first: ${document.errors[0]!.message.split('\n')[0]}`);
    if (!isMap(document.contents)) throw new CliError(`${output} does not hold a mapping with a "models:" list.`);
    let models = document.get('models');
    if (!isSeq(models)) {
      models = new YAMLSeq();
      document.set('models', models);
    }
    const list = models as YAMLSeq;
    const existing = list.items.filter(isMap) as YAMLMap[];
    const ids = new Set(existing.map((item) => String(item.get('id'))));
    const paths = new Set(
      existing.map((item) => {
        const config = item.get('config');
        const modelPath = isMap(config) ? config.get('model_path') : undefined;
        return typeof modelPath === 'string' ? path.resolve(outputDir, modelPath) : '';
      }),
    );
    const added: string[] = [];
    for (const model of found) {
      if (paths.has(model.path)) continue;
      const id = uniqueId(model.id, ids);
      paths.add(model.path);
      const relative = path.relative(outputDir, model.path) || '.';
      // Block style (not `{ ... }` flow maps), so the file reads and edits like the README's.
      const node = document.createNode({ id, provider: model.provider, enabled: true, config: { model_path: relative.startsWith('..') ? model.path : relative } });
      node.flow = false;
      for (const pair of node.items) if (isMap(pair.value)) pair.value.flow = false;
      list.add(node);
      added.push(`${id} (${model.provider}): ${model.path}`);
    }
    if (added.length === 0) {
      // Nothing found: write nothing (an empty models.yaml would make `serve` serve nothing).
      const scanned = dirs.join(', ');
      const where = existsSync(output) ? `${output} unchanged` : `${output} not written`;
      process.stdout.write(`no new models (GGUF files or MLX/HF model folders) in ${scanned}; ${where}. Pass the folders that hold your models: heylook init DIR...\n`);
      return;
    }
    list.flow = false;
    await writeFile(output, document.toString());
    process.stdout.write(`added ${added.length} model(s) to ${output}:\n${added.map((line) => `  ${line}`).join('\n')}\n`);
  },
};
