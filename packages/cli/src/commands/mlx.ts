import path from 'node:path';
import type { ProviderReadiness } from '@heylook/core';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import { setUpProviders } from '../provider-setup.js';

interface ConvertArgs {
  source: string;
  destination: string;
  'q-bits'?: 4 | 8;
  'q-group-size': 32 | 64;
  'quantize-embeddings': boolean;
}

interface MlxModule {
  setupNative(options: { log?: (line: string) => void; force?: boolean }): Promise<ProviderReadiness>;
  convertModel(source: string, destination: string, options: { bits?: 4 | 8; groupSize?: 32 | 64; quantizeEmbeddings?: boolean }): Promise<void>;
}

const convertCommand: CommandModule<object, ConvertArgs> = {
  command: 'convert <source> <destination>',
  describe: 'Turn a Hugging Face Llama-family folder into an MLX folder, optionally quantized',
  builder: (yargs) =>
    yargs
      .positional('source', { type: 'string', demandOption: true })
      .positional('destination', { type: 'string', demandOption: true })
      .option('q-bits', { choices: [4, 8] as const, describe: 'quantize to this many bits' })
      .option('q-group-size', { choices: [32, 64] as const, default: 64 as const })
      .option('quantize-embeddings', { type: 'boolean', default: false, describe: 'quantize the embedding and LM head too (as mlx_lm.convert does)' }),
  handler: async (args) => {
    const cwd = process.cwd();
    const { convertModel } = await loadMlx(cwd);
    const destination = path.resolve(cwd, args.destination);
    try {
      await convertModel(path.resolve(cwd, args.source), destination, {
        ...(args['q-bits'] ? { bits: args['q-bits'] } : {}),
        groupSize: args['q-group-size'],
        quantizeEmbeddings: args['quantize-embeddings'],
      });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    process.stdout.write(`wrote ${destination}${args['q-bits'] ? ` (${args['q-bits']}-bit, group ${args['q-group-size']})` : ''}\n`);
  },
};

const notInstalled = 'The mlx provider is not installed: run `npm install @heylook/provider-mlx` in your app folder.';

/** Imports the app's (or the CLI's) @heylook/provider-mlx. */
async function loadMlx(cwd: string): Promise<MlxModule> {
  const { discovered } = await setUpProviders(cwd);
  const mlx = discovered.find((provider) => provider.providerId === 'mlx' && provider.status === 'ok');
  if (!mlx?.load) throw new CliError(notInstalled);
  return (await mlx.load()) as MlxModule;
}

const setupCommand: CommandModule<object, { force: boolean }> = {
  command: 'setup',
  describe: 'Install MLX (Linux: the pinned mlx-cpu and OpenBLAS wheels) and build the mlx provider\'s addon',
  builder: (yargs) => yargs.option('force', { type: 'boolean', default: false, describe: 'reinstall MLX and rebuild even if the addon works' }),
  handler: async (args) => {
    const mlx = await loadMlx(process.cwd());
    if (typeof mlx.setupNative !== 'function') throw new CliError('This @heylook/provider-mlx is too old for `heylook mlx setup`; upgrade it.');
    const result = await mlx.setupNative({ log: (line) => process.stderr.write(`${line}\n`), force: args.force });
    if (!result.ready) throw new CliError(`MLX is not ready: ${result.problem}. Fix: ${result.fix}`);
    process.stdout.write(`mlx provider ready (${result.detail ?? 'addon built'})\n`);
  },
};

/** heylook mlx <subcommand> — MLX model tools. */
export const mlxCommand: CommandModule = {
  command: 'mlx <command>',
  describe: 'MLX tools (setup, convert)',
  builder: (yargs) => yargs.command(setupCommand).command(convertCommand).demandCommand(1),
  handler: () => undefined,
};
