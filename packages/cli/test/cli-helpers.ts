import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturesDir } from '@heylook/core/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
export const bin = path.resolve(here, '../dist/bin.js');
export const fixtures = fixturesDir;
export const storiesPath = path.join(fixturesDir, 'stories260K.gguf');

export interface RunningCli {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Environment without the developer's HEYLOOK_* settings, with a private HOME. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('HEYLOOK_') || key === 'HEYLOOK_FIXTURES') env[key] = value;
  return { ...env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), OLLAMA_MODELS: path.join(home, '.ollama', 'models'), ...extra };
}

/** Starts `heylook serve ...` and resolves once it prints its URL. */
export function startServe(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunningCli> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /heylook is listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output, exit });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
