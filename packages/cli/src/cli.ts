import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError } from './cli-error.js';
import { ggufCommand } from './commands/gguf.js';
import { initCommand } from './commands/init.js';
import { llamaServerCommand } from './commands/llama-server.js';
import { lsCommand } from './commands/ls.js';
import { mlxCommand } from './commands/mlx.js';
import { providersCommand } from './commands/providers.js';
import { psCommand } from './commands/ps.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { VERSION } from './create-server.js';

/** Runs the CLI; every error a user can cause ends as one line on stderr and exit code 1. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  try {
    await yargs(argv)
      .scriptName('heylook')
      .command(serveCommand)
      .command(lsCommand)
      .command(psCommand)
      .command(runCommand)
      .command(providersCommand)
      .command(initCommand)
      .command(mlxCommand)
      .command(llamaServerCommand)
      .command(ggufCommand)
      .demandCommand(1, 'Name a command: heylook serve | ls | ps | run | providers | init | mlx | llama-server | gguf')
      .strict()
      .version(VERSION)
      .help()
      // Use the terminal's width (yargs wraps at 80 by default), capped so lines stay readable.
      .wrap(Math.min(120, process.stdout.columns || 80))
      .fail((message, error) => {
        // yargs wraps errors thrown by `coerce` in its own YError: report them as usage errors.
        if (error && error.name !== 'YError') throw error;
        throw new CliError(`${error?.message ?? message}\nRun \`heylook --help\` for usage.`, 2);
      })
      .parseAsync();
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`heylook: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`heylook: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}
