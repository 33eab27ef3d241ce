import { copyFile, cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanEnv, fixtures, runCli, startServe, storiesPath, type RunningCli } from './cli-helpers.js';

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exit;
  }
});

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-cli-'));
  const home = path.join(dir, 'home');
  await mkdir(home);
  return { dir, env: cleanEnv(home) };
}

async function serve(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const cli = await startServe(args, options);
  running.push(cli);
  return cli;
}

const chatBody = (model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 8, temperature: 0 });

describe('heylook serve', () => {
  it('serves a models.yaml on every API, reports health, and stops cleanly on SIGTERM mid-request', async () => {
    const { dir, env } = await workspace();
    await writeFile(
      path.join(dir, 'models.yaml'),
      `default_model: stories\nmodels:\n  - id: stories\n    provider: llama_cpp\n    config:\n      model_path: ${storiesPath}\n      n_ctx: 512\n`,
    );
    const cli = await serve([], { cwd: dir, env });
    expect(cli.output()).toContain(`${cli.url}/v1`);
    expect(cli.output()).toContain(`${cli.url}/api`);
    expect(cli.output()).toMatch(/stories\s+\[llama_cpp\]\s+models\.yaml:3/);

    // default_model is preloaded at start.
    let health = (await (await fetch(`${cli.url}/health`)).json()) as { status: string; models: { id: string; state: string }[] };
    for (let tries = 0; health.models.length === 0 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      health = (await (await fetch(`${cli.url}/health`)).json()) as typeof health;
    }
    expect(health.status).toBe('ok');
    expect(health.models.map((model) => model.id)).toEqual(['stories']);
    const ps = await runCli(['ps', '--port', new URL(cli.url).port], { cwd: dir, env });
    expect(ps.stdout).toMatch(/^ID\s+PROVIDER\s+STATE\s+SIZE\s+ACTIVE\s+UNLOADS IN\nstories\s+llama_cpp\s+loaded\s+\d+(\.\d)? MiB\s+0\s+\d+s$/m);

    const openai = (await (await fetch(`${cli.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody('stories') })).json()) as {
      usage: { completion_tokens: number };
    };
    expect(openai.usage.completion_tokens).toBe(8);
    const ollama = (await (
      await fetch(`${cli.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'stories', prompt: 'Once upon a time', raw: true, stream: false, options: { num_predict: 6, temperature: 0 } }) })
    ).json()) as { response: string };
    expect(ollama.response).toBe(', there was a little g');
    const anthropic = (await (
      await fetch(`${cli.url}/v1/messages?beta=true`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: chatBody('stories') })
    ).json()) as { usage: { output_tokens: number } };
    expect(anthropic.usage.output_tokens).toBe(8);

    // A streaming request in flight when SIGTERM arrives still finishes.
    const response = await fetch(`${cli.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stories', prompt: 'Once upon a time', max_tokens: 300, temperature: 0, stream: true }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    cli.child.kill('SIGTERM');
    let body = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) body += new TextDecoder().decode(chunk.value);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await cli.exit).toBe(0);
  });

  it('serves a GGUF file with --model and no config', async () => {
    const { dir, env } = await workspace();
    const cli = await serve(['--model', storiesPath, '--api', 'openai'], { cwd: dir, env });
    const models = (await (await fetch(`${cli.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toEqual(['stories260K']);
    expect((await fetch(`${cli.url}/api/tags`)).status).toBe(404);
    expect((await fetch(`${cli.url}/v1/messages`, { method: 'POST', body: chatBody('stories260K') })).status).toBe(404);
  });

  it('serves only the Anthropic API with --api anthropic, and answers the HEAD / probe Claude Code sends', async () => {
    const { dir, env } = await workspace();
    const cli = await serve(['--model', storiesPath, '--api', 'anthropic'], { cwd: dir, env });
    expect(cli.output()).toContain(`${cli.url}/v1/messages`);
    expect((await fetch(cli.url, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${cli.url}/v1/models`)).status).toBe(404);
    const response = await fetch(`${cli.url}/v1/messages`, { method: 'POST', body: chatBody('stories260K') });
    expect(((await response.json()) as { stop_reason: string }).stop_reason).toBe('max_tokens');
  });

  it('discovers models in an Ollama store laid out like the real one', async () => {
    const { dir, env } = await workspace();
    const store = env.OLLAMA_MODELS!;
    const digest = '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d';
    await mkdir(path.join(store, 'blobs'), { recursive: true });
    await copyFile(storiesPath, path.join(store, 'blobs', `sha256-${digest}`));
    const manifestDir = path.join(store, 'manifests', 'registry.ollama.ai', 'library', 'tinystories');
    await mkdir(manifestDir, { recursive: true });
    await writeFile(
      path.join(manifestDir, 'latest'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: 'sha256:0000', size: 10 },
        layers: [
          { mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: 1185376 },
          { mediaType: 'application/vnd.ollama.image.params', digest: 'sha256:1111', size: 10 },
        ],
      }),
    );
    const cli = await serve([], { cwd: dir, env });
    expect(cli.output()).toMatch(/tinystories:latest\s+\[gguf\]\s+ollama/);
    const tags = (await (await fetch(`${cli.url}/api/tags`)).json()) as { models: { name: string; digest: string }[] };
    expect(tags.models).toEqual([expect.objectContaining({ name: 'tinystories:latest', digest })]);
    const chat = await fetch(`${cli.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'tinystories', stream: false, messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 3 } }),
    });
    expect(await chat.json()).toMatchObject({ done: true, eval_count: 3 });
  });

  it('explains where it looked and how to get a model when it finds none', async () => {
    const { dir, env } = await workspace();
    const cli = await serve([], { cwd: dir, env });
    expect(cli.output()).toMatch(/No models to serve/);
    expect(cli.output()).toMatch(new RegExp(`\\./models\\s+${path.join(dir, 'models')}\\s+\\(not there\\)`));
    expect(cli.output()).toMatch(/heylook serve --model PATH/);
    const models = (await (await fetch(`${cli.url}/v1/models`)).json()) as { data: unknown[] };
    expect(models.data).toEqual([]);
  });

  it('exits with one clear line for bad flags, missing files, bad config and a port in use', async () => {
    const { dir, env } = await workspace();
    const badFlag = await runCli(['serve', '--port', 'eighty'], { cwd: dir, env });
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stderr).not.toMatch(/\n\s+at /);

    const missing = await runCli(['serve', '--model', path.join(dir, 'nope.gguf')], { cwd: dir, env });
    expect(missing).toMatchObject({ code: 1, stderr: `heylook: No such file or folder: ${path.join(dir, 'nope.gguf')}\n` });

    await writeFile(path.join(dir, 'bad.yaml'), 'models:\n  - id: a\n    provider: gguf\n    config:\n      n_ctx: "big"\n');
    const badConfig = await runCli(['serve', '--config', 'bad.yaml'], { cwd: dir, env });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/bad\.yaml:4: config\.model_path/);
    expect(badConfig.stderr).toMatch(/bad\.yaml:5: config\.n_ctx/);

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const inUse = await runCli(['serve', '--model', storiesPath, '--port', String(port)], { cwd: dir, env });
    blocker.close();
    expect(inUse).toMatchObject({ code: 1, stderr: `heylook: Port ${port} on 127.0.0.1 is in use; pick another with --port.\n` });
  });
});

describe('heylook init, ls and providers', () => {
  it('writes a models.yaml from a folder scan and merges without losing entries', async () => {
    const { dir, env } = await workspace();
    await writeFile(path.join(dir, 'models.yaml'), '# my models\nmax_loaded_models: 3\nmodels:\n  - id: mine\n    provider: gguf\n    config:\n      model_path: /elsewhere/mine.gguf\n');
    // A folder of its own, so the listing does not depend on what else HEYLOOK_FIXTURES holds.
    const library = path.join(dir, 'library');
    await mkdir(path.join(library, 'nested'), { recursive: true });
    await copyFile(storiesPath, path.join(library, 'stories260K.gguf'));
    await copyFile(storiesPath, path.join(library, 'nested', 'other.gguf'));
    await cp(path.join(fixtures, 'stories260K-hf'), path.join(library, 'stories260K-hf'), { recursive: true });
    // A vocab-only GGUF has no weights: not a model, so not listed.
    await copyFile(path.join(fixtures, 'ggml-vocab-phi-3.gguf'), path.join(library, 'ggml-vocab-phi-3.gguf'));
    const first = await runCli(['init', library], { cwd: dir, env });
    expect(first.code).toBe(0);
    const text = await readFile(path.join(dir, 'models.yaml'), 'utf8');
    expect(text).toContain('# my models');
    const config = parse(text) as { max_loaded_models: number; models: { id: string; provider: string; config: { model_path: string } }[] };
    expect(config.max_loaded_models).toBe(3);
    expect(config.models.map((model) => [model.id, model.provider])).toEqual([
      ['mine', 'gguf'],
      ['other', 'gguf'],
      ['stories260K-hf', 'mlx'],
      ['stories260K', 'gguf'],
    ]);
    const again = await runCli(['init', library], { cwd: dir, env });
    expect(again.stdout).toMatch(/no new models/);
    expect(await readFile(path.join(dir, 'models.yaml'), 'utf8')).toBe(text);

    const ls = await runCli(['ls'], { cwd: dir, env });
    expect(ls.stdout).toMatch(/stories260K\s+gguf\s+1\.1 MiB\s+yes/);
    expect(ls.stdout).not.toContain('ggml-vocab');
  });

  it('ps says clearly when no server answers', async () => {
    const { dir, env } = await workspace();
    const ps = await runCli(['ps', '--port', '1'], { cwd: dir, env });
    expect(ps).toMatchObject({ code: 1, stderr: expect.stringMatching(/^heylook: No heylook server answers at http:\/\/127\.0\.0\.1:1\/health/) });
  });

  it('lists the bundled gguf provider', async () => {
    const { dir, env } = await workspace();
    const providers = await runCli(['providers'], { cwd: dir, env });
    expect(providers.stdout).toMatch(/gguf\s+@heylook\/provider-gguf\s+0\.1\.0\s+v1\s+.*ready/);
  });

  it('runs a one-shot prompt in-process', async () => {
    const { dir, env } = await workspace();
    const result = await runCli(['run', storiesPath, 'Tell me a story', '--max-tokens', '5', '--temperature', '0'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().length).toBeGreaterThan(0);
  });
});
