import { spawn } from 'node:child_process';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import { loadProviderModule } from '../provider-setup.js';

/** What the CLI uses of @heylook/provider-llama-server (loaded only when one of these commands runs). */
interface LlamaServerModule {
  buildLlamaServer(options: { force?: boolean; jobs?: number; onProgress?: (line: string) => void }): Promise<{
    tag: string;
    binDir: string;
    backend: string;
    built: boolean;
    seconds: number;
    rpcServerPath: string;
  }>;
  findLlamaServerBinary(): { path: string; source: string } | undefined;
  findBuiltLlamaServer(): { llamaServerPath: string; rpcServerPath: string; tag: string } | undefined;
  llamaServerHint: string;
}

const loadModule = (): Promise<LlamaServerModule> => loadProviderModule<LlamaServerModule>('llama-server');

const buildCommand: CommandModule<object, { force: boolean; jobs: number }> = {
  command: 'build',
  describe: "Build llama.cpp's llama-server and rpc-server from the source node-llama-cpp ships (offline, cached)",
  builder: (yargs) =>
    yargs.option('force', { type: 'boolean', default: false, describe: 'rebuild even if built' }).option('jobs', { type: 'number', default: 2, describe: 'parallel compile jobs' }),
  handler: async (args) => {
    const module = await loadModule();
    try {
      const build = await module.buildLlamaServer({ force: args.force, jobs: args.jobs, onProgress: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(`llama.cpp ${build.tag} (${build.backend}): ${build.binDir}${build.built ? ` built in ${build.seconds.toFixed(0)} s` : ' (already built)'}\n`);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  },
};

const statusCommand: CommandModule = {
  command: 'status',
  describe: 'Say which llama-server binary models would run, and how to get one',
  handler: async () => {
    const module = await loadModule();
    const found = module.findLlamaServerBinary();
    process.stdout.write(found ? `llama-server: ${found.path} (from ${found.source})\n` : `llama-server: not found. ${module.llamaServerHint}\n`);
  },
};

const rpcCommand: CommandModule<object, { port: number; host: string }> = {
  command: 'rpc-server',
  describe: "Run llama.cpp's rpc-server, so a llama-server model on another machine can shard onto this one (config rpc: [host:port])",
  builder: (yargs) =>
    yargs
      .option('port', { type: 'number', default: 50052 })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on; the RPC protocol has no auth, expose it only on a trusted network' }),
  handler: async (args) => {
    const built = (await loadModule()).findBuiltLlamaServer();
    if (!built) throw new CliError('rpc-server is not built yet: run `heylook llama-server build` first.');
    const child = spawn(built.rpcServerPath, ['--host', args.host, '--port', String(args.port)], { stdio: 'inherit' });
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  },
};

/** heylook llama-server <subcommand> — the llama-server provider's binary. */
export const llamaServerCommand: CommandModule = {
  command: 'llama-server <command>',
  describe: 'llama.cpp llama-server tools (build, status, rpc-server)',
  builder: (yargs) => yargs.command(buildCommand).command(statusCommand).command(rpcCommand).demandCommand(1),
  handler: () => undefined,
};
