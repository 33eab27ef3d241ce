"""Writes the GGUF twin of a Llama-layout folder made by make-random-llama.mjs: same weights
(Q/K rows permuted to llama.cpp's rotary layout, as llama.cpp's converter does), stories260K's
512-token vocabulary (the folder's tokenizer is stories260K-hf's; its byte tokens read as text),
in Q8_0 or F32.
For benchmarks: the MLX provider and mlx_lm read the folder, llama.cpp reads this file.

Usage: python3 make-random-gguf.py FOLDER OUT.gguf [q8_0|f32]
Needs gguf-py (the copy in the llama.cpp source `heylook llama-server build` unpacks) and numpy.
"""
import json
import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter
from gguf.quants import quantize

folder, out = sys.argv[1], sys.argv[2]
kind = GGMLQuantizationType.Q8_0 if (sys.argv[3] if len(sys.argv) > 3 else "q8_0") == "q8_0" else GGMLQuantizationType.F32
config = json.load(open(os.path.join(folder, "config.json")))
vocabulary = GGUFReader(os.path.join(os.path.dirname(__file__), "..", "models", "stories260K.gguf"))


def read_safetensors(path):
    """float32 tensors by name (the folder is written in float32)."""
    with open(path, "rb") as file:
        size = struct.unpack("<Q", file.read(8))[0]
        header = json.loads(file.read(size))
        data = file.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", f"{name}: {entry['dtype']}"
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=np.float32).reshape(entry["shape"])
    return tensors


def permute(weight, heads):
    """Hugging Face's rotary halves → llama.cpp's interleaved pairs, per head."""
    return weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


weights = read_safetensors(os.path.join(folder, "model.safetensors"))
heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
head_dim = config.get("head_dim", config["hidden_size"] // heads)

writer = GGUFWriter(out, "llama")
writer.add_name("heylook random-weight benchmark model")
writer.add_context_length(config["max_position_embeddings"])
writer.add_embedding_length(config["hidden_size"])
writer.add_feed_forward_length(config["intermediate_size"])
writer.add_block_count(config["num_hidden_layers"])
writer.add_head_count(heads)
writer.add_head_count_kv(kv_heads)
writer.add_key_length(head_dim)
writer.add_value_length(head_dim)
writer.add_rope_dimension_count(head_dim)
writer.add_rope_freq_base(float(config["rope_theta"]))
writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
writer.add_file_type(7 if kind == GGMLQuantizationType.Q8_0 else 0)
writer.add_tokenizer_model("llama")
writer.add_token_list(vocabulary.fields["tokenizer.ggml.tokens"].contents())
writer.add_token_scores(vocabulary.fields["tokenizer.ggml.scores"].contents())
# Byte tokens (type 6) become normal tokens that read as their names ("<0xE2>"): random weights
# pick them in any order, and llama-server refuses to stream the invalid UTF-8 they would make.
writer.add_token_types([1 if kind == 6 else kind for kind in vocabulary.fields["tokenizer.ggml.token_type"].contents()])
writer.add_bos_token_id(config["bos_token_id"])
writer.add_eos_token_id(config["eos_token_id"])
writer.add_unk_token_id(0)


def add(name, tensor, quantized=True):
    tensor = np.ascontiguousarray(tensor, dtype=np.float32)
    if quantized and kind == GGMLQuantizationType.Q8_0 and tensor.ndim == 2:
        writer.add_tensor(name, quantize(tensor, kind), raw_dtype=kind)
    else:
        writer.add_tensor(name, tensor)


add("token_embd.weight", weights["model.embed_tokens.weight"])
add("output_norm.weight", weights["model.norm.weight"])
add("output.weight", weights.get("lm_head.weight", weights["model.embed_tokens.weight"]))
for layer in range(config["num_hidden_layers"]):
    prefix = f"model.layers.{layer}."
    add(f"blk.{layer}.attn_norm.weight", weights[prefix + "input_layernorm.weight"])
    add(f"blk.{layer}.attn_q.weight", permute(weights[prefix + "self_attn.q_proj.weight"], heads))
    add(f"blk.{layer}.attn_k.weight", permute(weights[prefix + "self_attn.k_proj.weight"], kv_heads))
    add(f"blk.{layer}.attn_v.weight", weights[prefix + "self_attn.v_proj.weight"])
    add(f"blk.{layer}.attn_output.weight", weights[prefix + "self_attn.o_proj.weight"])
    add(f"blk.{layer}.ffn_norm.weight", weights[prefix + "post_attention_layernorm.weight"])
    add(f"blk.{layer}.ffn_gate.weight", weights[prefix + "mlp.gate_proj.weight"])
    add(f"blk.{layer}.ffn_up.weight", weights[prefix + "mlp.up_proj.weight"])
    add(f"blk.{layer}.ffn_down.weight", weights[prefix + "mlp.down_proj.weight"])

writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
