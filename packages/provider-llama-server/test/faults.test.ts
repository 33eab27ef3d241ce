import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errorCodes, isHeylookError, type StreamPart } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { collect, createStories, isRunning, noBinary } from './fixtures.js';

const waitFor = async (condition: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return condition();
};

describe.skipIf(noBinary)('llama-server faults and lifetime', () => {
  it('a child killed mid-stream ends the request with a fatal coded error; the next request restarts it', async () => {
    const model = createStories({}, 'faults');
    await model.load();
    try {
      const firstPid = model.pid!;
      let caught: unknown;
      const parts: StreamPart[] = [];
      try {
        for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: 400, temperature: 0 })) {
          parts.push(part);
          if (parts.length === 3) process.kill(firstPid, 'SIGKILL');
        }
      } catch (error) {
        caught = error;
      }
      expect(isHeylookError(caught) && caught.code === errorCodes.providerCrashed && caught.fatal).toBe(true);
      const next = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 5, temperature: 0 }));
      expect(next.finish.usage.completionTokens).toBe(5);
      expect(model.pid).not.toBe(firstPid);
    } finally {
      await model.unload();
    }
  });

  it('unload stops the process (no pid left) and a cancelled request frees its slot', async () => {
    const model = createStories({ parallel: 1 }, 'unload');
    await model.load();
    const pid = model.pid!;
    expect(isRunning(pid)).toBe(true);
    // With one slot, a request that was not closed upstream would block the next one until it ends.
    const controller = new AbortController();
    const cancelled = await collect(
      (async function* () {
        for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: 2000, temperature: 0 }, { signal: controller.signal })) {
          if (part.type === 'text-delta') controller.abort();
          yield part;
        }
      })(),
    );
    expect(cancelled.finish.reason).toBe('cancelled');
    expect(cancelled.finish.usage.completionTokens).toBeLessThan(20);
    const next = await collect(model.complete({ prompt: 'Hello', maxTokens: 3, temperature: 0 }));
    expect(next.finish.usage.completionTokens).toBe(3);
    await model.unload();
    expect(isRunning(pid)).toBe(false);
    await model.unload();
  });

  it('the child dies with heylook even when heylook is SIGKILLed (parent-death signal)', async () => {
    const script = fileURLToPath(new URL('./load-and-hang.mjs', import.meta.url));
    const host = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] }).on('error', () => undefined);
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      host.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /pid (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      host.once('exit', (code) => reject(new Error(`host exited early (${code}): ${out}`)));
    });
    expect(isRunning(pid)).toBe(true);
    host.kill('SIGKILL');
    expect(await waitFor(() => !isRunning(pid))).toBe(true);
  });
});
