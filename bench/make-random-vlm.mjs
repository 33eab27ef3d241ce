// Writes a tiny random-weight vision-language model in the exact Hugging Face layout of one family,
// for checking provider-mlx's vision towers against mlx-vlm on the same weights:
//   node bench/make-random-vlm.mjs FAMILY DIR [--transformers-layout] [--full-size]
// FAMILY is llava (LLaVA-1.5: CLIP tower, MLP projector, Llama decoder) or gemma3 (SigLIP tower,
// pooled projector, Gemma 3 decoder). The decoder comes from bench/make-random-model.mjs (its scales
// make every part decide the next token); this adds the vision tower and projector, the image tokens
// (as added tokens of stories260K-hf's tokenizer), preprocessor_config.json and a chat template
// like the real family's. Vision scales follow the same idea: patch and projection weights keep
// unit-sized activations, queries and keys are sharp (gain 2), norm weights are random around their
// identity, and the projector's rows come out as large as the text embeddings (0.3), so an image
// shifts the logits without drowning the prompt. Weights are written in the older Transformers
// names (what mlx-vlm reads); --transformers-layout writes Transformers ≥ 4.52's (`model.…`).
// --full-size gives the tower the real model's shape and resolution (CLIP ViT-L/14 at 336 for
// llava-1.5, SigLIP So400m at 896 for Gemma 3 4B and up) for timing image prefill; the decoder stays tiny.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRandomModel, normalSource, writeSafetensors } from './make-random-model.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const textVocab = 512;

/** Per family: the tower's config, the image tokens, the processor config and the chat template. */
export const families = {
  llava: {
    text: 'llama',
    // Three layers: vision_feature_layer -2 reads the second, so the third is never used (as in LLaVA).
    vision: { model_type: 'clip_vision_model', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 3, num_attention_heads: 2, image_size: 56, patch_size: 14, projection_dim: 64, layer_norm_eps: 1e-5, hidden_act: 'quick_gelu' },
    tokens: ['<image>', '<pad>'],
    config: (ids, spec) => ({
      architectures: ['LlavaForConditionalGeneration'],
      model_type: 'llava',
      image_token_index: ids['<image>'],
      pad_token_id: ids['<pad>'],
      projector_hidden_act: 'gelu',
      vision_feature_layer: -2,
      vision_feature_select_strategy: 'default',
      image_seq_length: (spec.vision.image_size / spec.vision.patch_size) ** 2,
      multimodal_projector_bias: true,
    }),
    processor: {
      crop_size: { height: 56, width: 56 },
      do_center_crop: true,
      do_convert_rgb: true,
      do_normalize: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_processor_type: 'CLIPImageProcessor',
      image_std: [0.26862954, 0.26130258, 0.27577711],
      processor_class: 'LlavaProcessor',
      resample: 3,
      rescale_factor: 1 / 255,
      size: { shortest_edge: 56 },
    },
    // llava-1.5-hf's template: "USER: <image>\n… ASSISTANT:".
    template:
      "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}" +
      "{% if message['content'] is string %}{{ message['content'] + ' ' }}{% else %}" +
      "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}" +
      "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' ' }}{% endfor %}{% endif %}" +
      "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}",
  },
  gemma3: {
    text: 'gemma3_text',
    vision: { model_type: 'siglip_vision_model', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 2, image_size: 64, patch_size: 8, num_channels: 3, layer_norm_eps: 1e-6, hidden_act: 'gelu_pytorch_tanh', vision_use_head: false },
    tokens: ['<start_of_image>', '<end_of_image>', '<image_soft_token>'],
    mmTokensPerImage: 16,
    // A window longer than the checks' prompts, shorter than prompt + generation.
    textOverrides: { sliding_window: 48 },
    config: (ids, spec) => ({
      architectures: ['Gemma3ForConditionalGeneration'],
      model_type: 'gemma3',
      boi_token_index: ids['<start_of_image>'],
      eoi_token_index: ids['<end_of_image>'],
      image_token_index: ids['<image_soft_token>'],
      mm_tokens_per_image: spec.mmTokensPerImage,
      initializer_range: 0.02,
    }),
    processor: {
      do_convert_rgb: null,
      do_normalize: true,
      do_pan_and_scan: null,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_processor_type: 'Gemma3ImageProcessor',
      image_seq_length: 16,
      image_std: [0.5, 0.5, 0.5],
      processor_class: 'Gemma3Processor',
      resample: 2,
      rescale_factor: 1 / 255,
      size: { height: 64, width: 64 },
    },
    // Gemma 3's template, shortened: turns, and <start_of_image> where an image goes.
    template:
      "{{ bos_token }}{% for message in messages %}{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}" +
      "{{ '<start_of_turn>' + role + '\\n' }}{% if message['content'] is string %}{{ message['content'] | trim }}{% else %}" +
      "{% for item in message['content'] %}{% if item['type'] == 'image' %}{{ '<start_of_image>' }}{% elif item['type'] == 'text' %}{{ item['text'] | trim }}{% endif %}{% endfor %}" +
      "{% endif %}{{ '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}",
  },
};

/** The real towers' shapes and resolutions (llava-hf/llava-1.5-7b-hf, google/gemma-3-4b-it). */
const fullSizes = {
  llava: {
    vision: { hidden_size: 1024, intermediate_size: 4096, num_hidden_layers: 24, num_attention_heads: 16, image_size: 336, patch_size: 14, projection_dim: 768 },
    processor: { crop_size: { height: 336, width: 336 }, size: { shortest_edge: 336 } },
  },
  gemma3: {
    vision: { hidden_size: 1152, intermediate_size: 4304, num_hidden_layers: 27, num_attention_heads: 16, image_size: 896, patch_size: 14 },
    processor: { image_seq_length: 256, size: { height: 896, width: 896 } },
    mmTokensPerImage: 256,
  },
};

/** FAMILY's recipe, with the real tower's shape when `fullSize`. */
function recipe(family, fullSize) {
  const spec = families[family];
  if (!spec || !fullSize) return spec;
  const full = fullSizes[family];
  return { ...spec, ...full, vision: { ...spec.vision, ...full.vision }, processor: { ...spec.processor, ...full.processor } };
}

function readSafetensors(buffer) {
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8'));
  const tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { shape, data_offsets: [start, end] } = entry;
    const bytes = buffer.subarray(8 + length + start, 8 + length + end);
    tensors[name] = { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  }
  return tensors;
}


/** Writes FAMILY's random model to `dir`; returns its config.json and the image token ids. */
export async function makeRandomVlm(dir, family, { seed = 7, transformersLayout = false, fullSize = false } = {}) {
  const spec = recipe(family, fullSize);
  if (!spec) throw new Error(`no random VLM recipe for "${family}" (have: ${Object.keys(families).join(', ')})`);
  await rm(dir, { recursive: true, force: true });
  const { config: text } = await makeRandomModel(dir, spec.text, { configOverrides: spec.textOverrides ?? {} });
  const decoder = readSafetensors(await readFile(path.join(dir, 'model.safetensors')));
  const ids = Object.fromEntries(spec.tokens.map((token, index) => [token, textVocab + index]));
  const vocab = textVocab + spec.tokens.length;
  const normal = normalSource(seed);
  const random = (shape, scale, mean = 0) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let index = 0; index < data.length; index++) data[index] = mean + scale * normal();
    return { shape, data };
  };

  // The decoder: rows for the added tokens, and LLaVA's separate lm_head (Vicuna's is untied).
  const tensors = {};
  const textName = (name) => {
    if (!transformersLayout) return `language_model.${name}`;
    return name.startsWith('model.') ? `model.language_model.${name.slice(6)}` : name;
  };
  for (const [name, tensor] of Object.entries(decoder)) {
    if (name === 'model.embed_tokens.weight') {
      const extra = random([spec.tokens.length, text.hidden_size], 0.3 / (family === 'gemma3' ? Math.sqrt(text.hidden_size) : 1));
      tensors[textName(name)] = { shape: [vocab, text.hidden_size], data: Float32Array.from([...tensor.data, ...extra.data]) };
    } else tensors[textName(name)] = tensor;
  }
  if (family === 'llava') tensors[textName('lm_head.weight')] = random([vocab, text.hidden_size], 1 / Math.sqrt(text.hidden_size));

  // The vision tower.
  const vision = spec.vision;  // 64 wide: quantizable in groups of 64, so converters must choose to keep it float
  const hidden = vision.hidden_size;
  const tower = `${transformersLayout ? 'model.' : ''}vision_tower.vision_model.`;
  const patches = (vision.image_size / vision.patch_size) ** 2;
  const linear = (name, out, input, gain = 1) => {
    tensors[`${name}.weight`] = random([out, input], gain / Math.sqrt(input));
    tensors[`${name}.bias`] = random([out], 0.1);
  };
  const norm = (name, size) => {
    tensors[`${name}.weight`] = random([size], 0.1, 1);
    tensors[`${name}.bias`] = random([size], 0.1);
  };
  tensors[`${tower}embeddings.patch_embedding.weight`] = random([hidden, 3, vision.patch_size, vision.patch_size], 1 / Math.sqrt(3 * vision.patch_size ** 2));
  if (family === 'llava') {
    tensors[`${tower}embeddings.class_embedding`] = random([hidden], 0.3);
    tensors[`${tower}embeddings.position_embedding.weight`] = random([patches + 1, hidden], 0.3);
    norm(`${tower}pre_layrnorm`, hidden);
  } else {
    tensors[`${tower}embeddings.patch_embedding.bias`] = random([hidden], 0.1);
    tensors[`${tower}embeddings.position_embedding.weight`] = random([patches, hidden], 0.3);
  }
  for (let layer = 0; layer < vision.num_hidden_layers; layer++) {
    const prefix = `${tower}encoder.layers.${layer}.`;
    norm(`${prefix}layer_norm1`, hidden);
    linear(`${prefix}self_attn.q_proj`, hidden, hidden, 2);
    linear(`${prefix}self_attn.k_proj`, hidden, hidden, 2);
    linear(`${prefix}self_attn.v_proj`, hidden, hidden);
    linear(`${prefix}self_attn.out_proj`, hidden, hidden);
    norm(`${prefix}layer_norm2`, hidden);
    linear(`${prefix}mlp.fc1`, vision.intermediate_size, hidden);
    linear(`${prefix}mlp.fc2`, hidden, vision.intermediate_size);
  }
  norm(`${tower}post_layernorm`, hidden);

  // The projector.
  const projector = `${transformersLayout ? 'model.' : ''}multi_modal_projector.`;
  if (family === 'llava') {
    linear(`${projector}linear_1`, text.hidden_size, hidden);
    linear(`${projector}linear_2`, text.hidden_size, text.hidden_size, 0.3);
  } else {
    tensors[`${projector}mm_soft_emb_norm.weight`] = random([hidden], 0.1);
    tensors[`${projector}mm_input_projection_weight`] = random([hidden, text.hidden_size], 0.3 / Math.sqrt(hidden));
  }
  await writeFile(path.join(dir, 'model.safetensors'), writeSafetensors(tensors));

  const { bos_token_id, eos_token_id, torch_dtype, ...textConfig } = text;
  const textKeys = { ...textConfig, vocab_size: vocab };
  // mlx-vlm's Gemma 3 reads mm_tokens_per_image from text_config and hidden_size from the top level.
  if (family === 'gemma3') Object.assign(textKeys, { mm_tokens_per_image: spec.mmTokensPerImage });
  if (family === 'llava') textKeys.tie_word_embeddings = false;
  const config = {
    ...spec.config(ids, spec),
    text_config: textKeys,
    vision_config: vision,
    vocab_size: vocab,
    ...(family === 'gemma3' ? { hidden_size: text.hidden_size } : {}),
    bos_token_id,
    eos_token_id,
    torch_dtype,
  };
  await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(path.join(dir, 'preprocessor_config.json'), `${JSON.stringify(spec.processor, null, 2)}\n`);
  await writeFile(path.join(dir, 'chat_template.jinja'), spec.template);

  // stories260K-hf's tokenizer with the image tokens added after its 512.
  const source = path.join(process.env.HEYLOOK_FIXTURES ?? path.resolve(here, '../models'), 'stories260K-hf');
  const tokenizer = JSON.parse(await readFile(path.join(source, 'tokenizer.json'), 'utf8'));
  for (const token of spec.tokens) {
    tokenizer.added_tokens.push({ id: ids[token], content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  // Gemma3Processor finds its image tokens through the tokenizer's named special tokens.
  const tokenizerConfig = JSON.parse(await readFile(path.join(source, 'tokenizer_config.json'), 'utf8'));
  if (family === 'gemma3') {
    const named = { boi_token: '<start_of_image>', eoi_token: '<end_of_image>', image_token: '<image_soft_token>' };
    Object.assign(tokenizerConfig, named, { extra_special_tokens: named });
  }
  await writeFile(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 1)}\n`);
  return { config, ids };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [family, dir, ...flags] = process.argv.slice(2);
  if (!family || !dir) throw new Error('usage: node bench/make-random-vlm.mjs llava|gemma3 DIR [--transformers-layout] [--full-size]');
  await mkdir(path.resolve(dir), { recursive: true });
  await makeRandomVlm(path.resolve(dir), family, { transformersLayout: flags.includes('--transformers-layout'), fullSize: flags.includes('--full-size') });
  console.log(`wrote ${dir}: random ${family}`);
}
