import path from 'node:path';
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
    const { discovered } = await setUpProviders(cwd);
    const mlx = discovered.find((provider) => provider.providerId === 'mlx' && provider.status === 'ok');
    if (!mlx?.load) throw new CliError('The mlx provider is not installed: add @heylook/provider-mlx to your project and build its addon.');
    const { convertModel } = (await mlx.load()) as MlxModule;
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

/** heylook mlx <subcommand> — MLX model tools. */
export const mlxCommand: CommandModule = {
  command: 'mlx <command>',
  describe: 'MLX model tools (convert)',
  builder: (yargs) => yargs.command(convertCommand).demandCommand(1),
  handler: () => undefined,
};
