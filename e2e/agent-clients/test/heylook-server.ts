import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturesDir } from '@heylook/core/testing';

export interface HeylookServer {
  url: string;
  /** stories260K with a context for the agents' trimmed prompts. */
  model: string;
  /** stories260K with a 2048-token context: too small for an agent's default prompt. */
  smallModel: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `heylook serve` from the workspace's CLI on stories260K, greedy by default (the clients send
 * no temperature). The agents' default prompts are 25-30k tokens of this model's 512-token
 * vocabulary, which node-llama-cpp's prebuilt CPU binary evaluates in minutes; the tests trim
 * them with the clients' own options, so 8192 tokens of context hold a turn. The answer ends at
 * its first line break: greedy stories260K can repeat itself until the context is full (on one
 * CI machine's CPU it wrote 7423 tokens), and Claude Code then asks it to go on, which cannot fit.
 */
export async function startHeylook(): Promise<HeylookServer> {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('@heylook/cli/package.json')), 'dist', 'bin.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-agents-'));
  const model = 'stories260K';
  const smallModel = 'stories260K-2k';
  const entry = (id: string, context: number) => [
    `  - id: ${id}`,
    '    provider: gguf',
    '    config:',
    `      model_path: ${path.join(fixturesDir, 'stories260K.gguf')}`,
    `      n_ctx: ${context}`,
    '      n_threads: 1',
    '      parallel: 1',
    '      temperature: 0',
    '      stop: ["\\n"]',
  ];
  await writeFile(
    path.join(dir, 'models.yaml'),
    [`default_model: ${model}`, 'max_loaded_models: 2', 'models:', ...entry(model, 8192), ...entry(smallModel, 2048), ''].join('\n'),
  );
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0', '--log-level', 'info'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`heylook did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /heylook is listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`heylook exited:\n${output}`)));
  });
  return {
    url,
    model,
    smallModel,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
