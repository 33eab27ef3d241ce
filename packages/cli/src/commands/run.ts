import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isHeylookError, ModelRouter, openModelStream, type ChatMessage } from '@heylook/core';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import { showLoadProgress } from '../load-progress.js';
import { setUpProviders } from '../provider-setup.js';
import { checkModels, selectModels } from '../select-models.js';

interface RunArgs {
  model: string;
  prompt?: string[];
  config?: string;
  'max-tokens'?: number;
  temperature?: number;
  system?: string;
}

/**
 * heylook run MODEL [PROMPT] — in-process, no server. With a prompt: one answer streamed to
 * stdout. Without: an interactive chat; Ctrl-C cancels the answer being written, `/bye` or
 * Ctrl-D leaves. MODEL is a configured id or a path to a model file or folder.
 */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <model> [prompt..]',
  describe: 'Chat with a model in the terminal (no server needed)',
  builder: (yargs) =>
    yargs
      .positional('model', { type: 'string', demandOption: true, describe: 'model id, or path to a .gguf file / model folder' })
      .positional('prompt', { type: 'string', array: true })
      .option('config', { type: 'string' })
      .option('max-tokens', { type: 'number' })
      .option('temperature', { type: 'number' })
      .option('system', { type: 'string', describe: 'system prompt' }),
  handler: async (args) => {
    const cwd = process.cwd();
    const isPath = existsSync(path.resolve(cwd, args.model)) && (args.model.includes('/') || args.model.endsWith('.gguf'));
    const { registry } = await setUpProviders(cwd);
    const selection = await selectModels({
      cwd,
      registry,
      env: process.env,
      ...(isPath ? { modelPaths: [args.model] } : {}),
      configPath: args.config,
    });
    await checkModels(registry, selection.models);
    const router = new ModelRouter({ registry, models: selection.models, keepAliveMs: Infinity });
    const modelId = isPath ? selection.models[0]!.id : args.model;
    showLoadProgress(router);
    try {
      await router.load(modelId);
    } catch (error) {
      throw new CliError(isHeylookError(error) ? error.message : String(error));
    }
    const history: ChatMessage[] = args.system ? [{ role: 'system', content: args.system }] : [];
    const options = {
      maxTokens: args['max-tokens'],
      temperature: args.temperature,
    };

    const answer = async (prompt: string, signal?: AbortSignal) => {
      history.push({ role: 'user', content: prompt });
      const { parts } = await openModelStream(router, modelId, signal ? { signal } : {}, (provider) =>
        provider.chat({ messages: history, ...options }, signal ? { signal } : {}),
      );
      let text = '';
      for await (const part of parts) {
        if (part.type === 'text-delta') {
          text += part.text;
          process.stdout.write(part.text);
        }
      }
      process.stdout.write('\n');
      history.push({ role: 'assistant', content: text });
    };

    try {
      if (args.prompt?.length) {
        await answer(args.prompt.join(' '));
        return;
      }
      await chatLoop(answer);
    } finally {
      await router.close();
    }
  },
};

async function chatLoop(answer: (prompt: string, signal: AbortSignal) => Promise<void>): Promise<void> {
  const readline = createInterface({ input: process.stdin, output: process.stdout, prompt: '>>> ' });
  let current: AbortController | undefined;
  readline.on('SIGINT', () => {
    if (current) current.abort();
    else {
      readline.close();
    }
  });
  process.stdout.write('Type a message; Ctrl-C stops an answer, /bye or Ctrl-D leaves.\n');
  readline.prompt();
  for await (const line of readline) {
    const prompt = line.trim();
    if (prompt === '/bye') break;
    if (prompt) {
      current = new AbortController();
      try {
        await answer(prompt, current.signal);
      } catch (error) {
        process.stderr.write(`error: ${isHeylookError(error) ? error.message : String(error)}\n`);
      }
      current = undefined;
    }
    readline.prompt();
  }
  readline.close();
}
