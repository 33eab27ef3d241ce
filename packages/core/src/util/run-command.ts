import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * heylook's cache folder, shared by every build and install it keeps outside projects (llama.cpp
 * builds, the MLX addon, reference installs): $HEYLOOK_CACHE ($HEYLOOK_CACHE_DIR also works),
 * else $XDG_CACHE_HOME/heylook, else ~/.cache/heylook.
 */
export function heylookCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.HEYLOOK_CACHE || env.HEYLOOK_CACHE_DIR;
  if (configured) return configured;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'heylook');
}

export interface RunCommandOptions {
  /** Receives every non-empty line the command prints (stdout and stderr). */
  log: (line: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a build step; a failure rejects with the command's last 20 lines. */
export function runCommand(command: string, args: string[], options: RunCommandOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        options.log(line);
        tail = [...tail.slice(-19), line];
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => reject(new Error(`${command} could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.slice(0, 2).join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
