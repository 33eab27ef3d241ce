import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturesDir } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
import { IncrementalDecoder, MlxTokenizer } from '../src/mlx-tokenizer.js';

const source = path.join(fixturesDir, 'stories260K-hf');
const chatml =
  "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

async function folderWith(extra: Record<string, unknown>, files: Record<string, unknown> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-tokenizer-'));
  await cp(source, dir, { recursive: true });
  const config = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, ...extra }));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), JSON.stringify(content));
  return dir;
}

describe('MlxTokenizer', () => {
  it('renders the chat template from tokenizer_config.json and tokenizes it with special tokens', async () => {
    const tokenizer = await MlxTokenizer.load(await folderWith({ chat_template: chatml }), { bos_token_id: 1, eos_token_id: 2 });
    expect(tokenizer.hasChatTemplate).toBe(true);
    const ids = tokenizer.chatPrompt([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi Lily' },
    ]);
    expect(ids[0]).toBe(1);
    expect(ids).toEqual(tokenizer.encode('<s><|system|>\nBe kind.\n<|user|>\nHi Lily\n<|assistant|>\n', false));
  });

  it('falls back to plain turns without a template, and reads EOS ids from config and generation_config', async () => {
    const tokenizer = await MlxTokenizer.load(await folderWith({}, { 'generation_config.json': { eos_token_id: [2, 7] } }), {
      bos_token_id: 1,
      eos_token_id: 2,
    });
    expect(tokenizer.hasChatTemplate).toBe(false);
    expect(tokenizer.chatPrompt([{ role: 'user', content: 'Hi Lily' }])).toEqual(tokenizer.encode('Hi Lily'));
    expect([...tokenizer.eosIds].sort()).toEqual([2, 7]);
  });

  it('streams text without splitting a UTF-8 character or dropping a space', async () => {
    const tokenizer = await MlxTokenizer.load(source, { bos_token_id: 1, eos_token_id: 2 });
    const text = 'Héllo wörld 😀 — ünïcode, and a long tail of plain words to slide the window along '.repeat(3);
    const ids = tokenizer.encode(text, false);
    expect(ids.some((id) => id >= 3 && id < 259)).toBe(true); // byte-fallback tokens are in there
    const decoder = new IncrementalDecoder(tokenizer);
    const chunks = ids.map((id) => decoder.push(id));
    for (const chunk of chunks) expect(chunk).not.toContain('\uFFFD');
    expect(chunks.join('')).toBe(tokenizer.decode(ids));
    // A continuation keeps the space its first token carries.
    const sentence = tokenizer.encode('Once upon a time', false);
    const continued = new IncrementalDecoder(tokenizer, sentence.slice(0, 2));
    expect(tokenizer.decode(sentence.slice(0, 2))).toBe('Once upon');
    expect(sentence.slice(2).map((id) => continued.push(id)).join('')).toBe(' a time');
  });

  it('keeps the special marker tokens an output parser reads, and skips the other special tokens', async () => {
    const dir = await folderWith({});
    const json = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens: object[] };
    // Mistral's [TOOL_CALLS] is a special (control) token: plain decoding drops it.
    json.added_tokens.push({ id: 512, content: '[TOOL_CALLS]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    const tokenizer = await MlxTokenizer.load(dir, { bos_token_id: 1, eos_token_id: 2 });
    const ids = [512, ...tokenizer.encode('get_time[ARGS]{}', false), 2];
    expect(tokenizer.decodeOutput(ids)).toBe(tokenizer.decode(ids));
    tokenizer.keepSpecialTokens(['[TOOL_CALLS]', '<|python_tag|>']);
    const decoder = new IncrementalDecoder(tokenizer, [1]);
    const text = ids.map((id) => decoder.push(id)).join('');
    // The space is SentencePiece's, before a word encoded on its own.
    expect(text).toBe('[TOOL_CALLS] get_time[ARGS]{}');
  });
});
