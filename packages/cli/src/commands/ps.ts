import { formatBytes } from '@heylook/core';
import type { CommandModule } from 'yargs';
import { CliError, parsePortFlag } from '../cli-error.js';
import { formatTable } from '../format-table.js';

interface PsArgs {
  host: string;
  port: number;
}

interface HealthModel {
  id: string;
  provider: string;
  state: string;
  active_requests: number;
  size: number | null;
  expires_at: string | null;
  pinned: boolean;
}

/** heylook ps — asks a running server what is loaded. */
export const psCommand: CommandModule<object, PsArgs> = {
  command: 'ps',
  describe: 'Show the models a running server has loaded',
  builder: (yargs) =>
    yargs
      .option('host', { type: 'string', default: process.env.HEYLOOK_HOST ?? '127.0.0.1' })
      .option('port', { coerce: parsePortFlag, default: process.env.HEYLOOK_PORT ?? '8080' }),
  handler: async (args) => {
    const url = `http://${args.host}:${args.port}/health`;
    let health: { models: HealthModel[]; queue_depth: number };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      health = (await response.json()) as typeof health;
    } catch {
      throw new CliError(`No heylook server answers at ${url}; start one with \`heylook serve\` or pass --host/--port.`);
    }
    const rows = health.models.map((model) => [
      model.id,
      model.provider,
      model.state,
      (model.size === null ? '-' : formatBytes(model.size)),
      String(model.active_requests),
      model.pinned ? 'never' : model.expires_at ? `${Math.max(0, Math.round((Date.parse(model.expires_at) - Date.now()) / 1000))}s` : 'when idle',
    ]);
    if (rows.length === 0) process.stdout.write(`No models loaded on ${args.host}:${args.port}; a model loads on its first request.\n`);
    else process.stdout.write(`${formatTable(['ID', 'PROVIDER', 'STATE', 'SIZE', 'ACTIVE', 'UNLOADS IN'], rows)}\n`);
    if (health.queue_depth > 0) process.stdout.write(`${health.queue_depth} request(s) waiting\n`);
  },
};
