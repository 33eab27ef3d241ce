import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { findBuiltLlamaServer } from '../src/index.js';
import { collect, createStories, isRunning } from './fixtures.js';

const built = findBuiltLlamaServer();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts an rpc-server on loopback and resolves once it accepts connections; `log` collects its output. */
async function startRpcServer(log: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(built!.rpcServerPath, ['--host', '127.0.0.1', '--port', String(port), '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  // Its stdout is block-buffered into a pipe, so wait for the port rather than for a log line.
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`rpc-server exited: ${log.join('')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    if (open) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('rpc-server did not listen');
}

const accepted = (log: string[]) => log.join('').split('Accepted client connection').length - 1;

// The built rpc-server (not one on PATH) is what `heylook llama-server build` ships.
describe.skipIf(!built)('sharding over two rpc-servers on loopback', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('gives the same greedy text as the local model, with layers on both rpc-servers', async () => {
    const logs: string[][] = [[], []];
    const servers = await Promise.all(logs.map((log) => startRpcServer(log)));
    children.push(...servers.map((server) => server.child));
    const request = { prompt: 'Once upon a time', maxTokens: 60, temperature: 0 } as const;

    const local = createStories({ parallel: 1 }, 'local');
    await local.load();
    const expected = (await collect(local.complete(request))).text;
    await local.unload();

    const sharded = createStories({ parallel: 1, n_gpu_layers: -1, rpc: servers.map((server) => `127.0.0.1:${server.port}`) }, 'sharded');
    await sharded.load();
    try {
      expect((await collect(sharded.complete(request))).text).toBe(expected);
    } finally {
      await sharded.unload();
    }
    // One connection is our readiness probe; llama-server's own make the rest.
    for (const log of logs) expect(accepted(log)).toBeGreaterThanOrEqual(2);
    for (const server of servers) expect(isRunning(server.child.pid!)).toBe(true);
  }, 180_000);
});
