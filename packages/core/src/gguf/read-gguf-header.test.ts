import { copyFile, mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { fixturesDir } from '../testing/fixtures.js';
import { assertGgufFile, ggufTensorCount, hasGgufMagic, readGgufHeader } from './read-gguf-header.js';

const stories = path.join(fixturesDir, 'stories260K.gguf');

describe('readGgufHeader', () => {
  it('reads stories260K: the metadata PROVENANCE.md lists and its 48 tensors', async () => {
    const header = await readGgufHeader(stories);
    expect(header.version).toBe(3);
    expect(Object.keys(header.metadata)).toHaveLength(19);
    expect(header.metadata).toMatchObject({
      'general.architecture': 'llama',
      'llama.block_count': 5,
      'llama.embedding_length': 64,
      'llama.feed_forward_length': 172,
      'llama.attention.head_count': 8,
      'llama.attention.head_count_kv': 4,
      'llama.context_length': 2048,
      'tokenizer.ggml.model': 'llama',
      'tokenizer.ggml.tokens': null,
    });
    expect(header.metadata['llama.attention.layer_norm_rms_epsilon']).toBeCloseTo(1e-5);
    expect(header.arrayLengths['tokenizer.ggml.tokens']).toBe(512);
    expect(header.tensors).toHaveLength(48);
    const parameters = header.tensors.reduce((sum, t) => sum + t.dimensions.reduce((a, b) => a * b, 1), 0);
    expect(parameters).toBe(292_800);
    expect(header.tensors.find((t) => t.name === 'token_embd.weight')).toMatchObject({ dimensions: [64, 512], type: 0 });
  });

  it('reads a vocab-only GGUF with a chat template and keeps short arrays', async () => {
    const header = await readGgufHeader(path.join(fixturesDir, 'ggml-vocab-phi-3.gguf'), { maxArrayLength: 100_000 });
    expect(typeof header.metadata['tokenizer.chat_template']).toBe('string');
    expect((header.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(32064);
  });

  it('counts tensors from the first bytes: 48 in stories260K, 0 in a vocab-only file, none for a non-GGUF file', async () => {
    expect(await ggufTensorCount(stories)).toBe(48);
    expect(await ggufTensorCount(path.join(fixturesDir, 'ggml-vocab-phi-3.gguf'))).toBe(0);
    expect(await ggufTensorCount(path.join(fixturesDir, 'PROVENANCE.md'))).toBeUndefined();
    expect(await ggufTensorCount(path.join(fixturesDir, 'no-such-file.gguf'))).toBeUndefined();
  });

  it('turns a truncated header and a non-GGUF file into coded errors', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-gguf-'));
    const truncated = path.join(dir, 'cut.gguf');
    await copyFile(stories, truncated);
    const handle = await open(truncated, 'r+');
    await handle.truncate(3000);
    await handle.close();
    await expect(readGgufHeader(truncated)).rejects.toMatchObject({ code: errorCodes.invalidModelFile, param: 'model_path' });
    const text = path.join(dir, 'notes.gguf');
    await writeFile(text, 'hello');
    expect(await hasGgufMagic(text)).toBe(false);
    await expect(assertGgufFile(text, 'mmproj_path')).rejects.toMatchObject({ code: errorCodes.invalidModelFile, param: 'mmproj_path' });
    await expect(assertGgufFile(path.join(dir, 'missing.gguf'))).rejects.toMatchObject({ code: errorCodes.modelFileNotFound });
  });
});
