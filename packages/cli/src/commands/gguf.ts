import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import { loadProviderModule } from '../provider-setup.js';

/** What the CLI uses of @heylook/provider-gguf (loaded only when one of these commands runs). */
interface GgufModule {
  buildNativeBinding(options: { force?: boolean; gpu?: string; onProgress?: (line: string) => void }): Promise<{ cacheDir: string; linkPath: string; built: boolean; seconds: number }>;
  nativeBindingStatus(): { cacheDir: string; cached: boolean; linked: boolean };
}

const loadModule = (): Promise<GgufModule> => loadProviderModule<GgufModule>('gguf');

const buildCommand: CommandModule<object, { force: boolean; gpu: string }> = {
  command: 'build',
  describe: "Compile llama.cpp for this machine (from the source node-llama-cpp ships; offline, cached) so GGUF models run on it instead of node-llama-cpp's prebuilt binary",
  builder: (yargs) =>
    yargs
      .option('force', { type: 'boolean', default: false, describe: 'rebuild even if the cache holds a build' })
      .option('gpu', { type: 'string', default: 'auto', describe: "node-llama-cpp's gpu option: auto, cuda, vulkan, metal or false" }),
  handler: async (args) => {
    const module = await loadModule();
    try {
      const build = await module.buildNativeBinding({ force: args.force, gpu: args.gpu, onProgress: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(`native llama.cpp binding: ${build.cacheDir}${build.built ? ` built in ${build.seconds.toFixed(0)} s` : ' (from the cache)'}; gguf models use it from the next start\n`);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  },
};

const statusCommand: CommandModule = {
  command: 'status',
  describe: 'Say whether GGUF models run on a native build of llama.cpp or on node-llama-cpp\'s prebuilt binary',
  handler: async () => {
    const status = (await loadModule()).nativeBindingStatus();
    process.stdout.write(
      status.linked
        ? `native build: ${status.cacheDir} (in use)\n`
        : `prebuilt binary in use${status.cached ? ` (a native build is cached in ${status.cacheDir}: \`heylook gguf build\` links it)` : '; `heylook gguf build` compiles one for this machine (the README says when that is faster)'}\n`,
    );
  },
};

/** heylook gguf <subcommand> — the gguf provider's llama.cpp binding. */
export const ggufCommand: CommandModule = {
  command: 'gguf <command>',
  describe: 'llama.cpp binding of the gguf provider (build, status)',
  builder: (yargs) => yargs.command(buildCommand).command(statusCommand).demandCommand(1),
  handler: () => undefined,
};
