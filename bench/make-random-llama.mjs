// Writes a Llama-layout model folder with random weights (for benchmarks, not for text):
// node bench/make-random-llama.mjs DIR [hidden=512] [layers=8]. The tokenizer files are
// stories260K-hf's, so the vocabulary is its 512 tokens.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export async function makeRandomLlama(dir, { hidden = 512, layers = 8, heads = 8, kvHeads = 4, seed = 1 } = {}) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const source = path.join(process.env.HEYLOOK_FIXTURES ?? path.resolve(here, '../models'), 'stories260K-hf');
  const vocab = 512;
  const intermediate = Math.round((hidden * 8) / 3 / 32) * 32;
  const headDim = hidden / heads;
  let state = seed;
  const random = () => {
    // xorshift32 → roughly normal via the sum of uniforms, scaled like an initialised model
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      sum += (state >>> 0) / 4294967296;
    }
    return (sum - 2) * 0.05;
  };
  const tensors = {};
  const add = (name, shape, fill) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fill ?? random();
    tensors[name] = { shape, data };
  };
  add('model.embed_tokens.weight', [vocab, hidden]);
  for (let layer = 0; layer < layers; layer++) {
    const p = `model.layers.${layer}.`;
    add(`${p}self_attn.q_proj.weight`, [heads * headDim, hidden]);
    add(`${p}self_attn.k_proj.weight`, [kvHeads * headDim, hidden]);
    add(`${p}self_attn.v_proj.weight`, [kvHeads * headDim, hidden]);
    add(`${p}self_attn.o_proj.weight`, [hidden, heads * headDim]);
    add(`${p}mlp.gate_proj.weight`, [intermediate, hidden]);
    add(`${p}mlp.up_proj.weight`, [intermediate, hidden]);
    add(`${p}mlp.down_proj.weight`, [hidden, intermediate]);
    add(`${p}input_layernorm.weight`, [hidden], 1);
    add(`${p}post_attention_layernorm.weight`, [hidden], 1);
  }
  add('model.norm.weight', [hidden], 1);
  // safetensors: 8-byte header length, JSON header, then the raw little-endian data.
  const header = {};
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'model.safetensors'),
    Buffer.concat([length, Buffer.from(json), ...Object.values(tensors).map(({ data }) => Buffer.from(data.buffer))]),
  );
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    vocab_size: vocab,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) await copyFile(path.join(source, name), path.join(dir, name));
  return { parameters: Object.values(tensors).reduce((sum, { data }) => sum + data.length, 0) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [dir, hidden, layers] = process.argv.slice(2);
  if (!dir) throw new Error('usage: node bench/make-random-llama.mjs DIR [hidden] [layers]');
  const { parameters } = await makeRandomLlama(path.resolve(dir), { hidden: Number(hidden ?? 512), layers: Number(layers ?? 8) });
  console.log(`wrote ${dir}: ${(parameters / 1e6).toFixed(1)}M parameters`);
}
