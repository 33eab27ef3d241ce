import { fixturesDir } from '@heylook/core/testing';
import { runProviderConformance } from '@heylook/provider-testkit';
import mlxProvider from '../src/index.js';
import { makeQwen3ToolsModel } from './support/qwen3-template.js';

runProviderConformance({
  name: 'mlx on stories260K-hf',
  plugin: mlxProvider as never,
  config: { model_path: 'stories260K-hf' },
  endToken: 2, // stories260K's </s>
  baseDir: fixturesDir,
});

// A model whose template renders tools, so the kit sees tools declared.
const toolsModel = await makeQwen3ToolsModel();
runProviderConformance({
  name: 'mlx on a random-weight Qwen3 with a tools template',
  plugin: mlxProvider as never,
  config: { model_path: toolsModel, stop_on_bos: false },
  baseDir: toolsModel,
});
