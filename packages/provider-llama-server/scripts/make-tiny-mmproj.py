"""Writes a tiny random-weight LLaVA-style vision projector (mmproj GGUF) for stories260K.

Test fixture generator, not a model: a 2-block CLIP-like encoder on 28x28 images (2x2 patches
of 14 px) and an MLP projector into stories260K's 64-dim embeddings, so llama-server can run
stories260K.gguf with --mmproj and a different image gives different text.

Usage: python3 make-tiny-mmproj.py OUT.gguf   (needs `pip install gguf`, which brings numpy)
"""
import sys

import numpy as np
from gguf import GGUFWriter

out = sys.argv[1]
rng = np.random.default_rng(1234)
image_size, patch, embd, ff, blocks, heads, text_embd = 28, 14, 32, 64, 2, 2, 64
n_patches = (image_size // patch) ** 2


def rand(*shape, scale=0.2):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


w = GGUFWriter(out, "clip")
w.add_string("general.name", "heylook tiny test mmproj (random weights)")
w.add_bool("clip.has_vision_encoder", True)
w.add_string("clip.projector_type", "mlp")
w.add_bool("clip.use_gelu", True)
w.add_uint32("clip.vision.image_size", image_size)
w.add_uint32("clip.vision.patch_size", patch)
w.add_uint32("clip.vision.embedding_length", embd)
w.add_uint32("clip.vision.feed_forward_length", ff)
w.add_uint32("clip.vision.projection_dim", text_embd)
w.add_uint32("clip.vision.block_count", blocks)
w.add_uint32("clip.vision.attention.head_count", heads)
w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])

# numpy shapes are (out, in); GGUF stores them reversed, as ggml expects.
w.add_tensor("v.patch_embd.weight", rand(embd, 3, patch, patch).astype(np.float16))
w.add_tensor("v.class_embd", rand(embd))
w.add_tensor("v.position_embd.weight", rand(n_patches + 1, embd))
w.add_tensor("v.pre_ln.weight", np.ones(embd, np.float32))
w.add_tensor("v.pre_ln.bias", np.zeros(embd, np.float32))
for i in range(blocks):
    for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
        w.add_tensor(f"v.blk.{i}.{name}.weight", rand(embd, embd))
        w.add_tensor(f"v.blk.{i}.{name}.bias", rand(embd, scale=0.01))
    for name in ("ln1", "ln2"):
        w.add_tensor(f"v.blk.{i}.{name}.weight", np.ones(embd, np.float32))
        w.add_tensor(f"v.blk.{i}.{name}.bias", np.zeros(embd, np.float32))
    w.add_tensor(f"v.blk.{i}.ffn_up.weight", rand(ff, embd))
    w.add_tensor(f"v.blk.{i}.ffn_up.bias", rand(ff, scale=0.01))
    w.add_tensor(f"v.blk.{i}.ffn_down.weight", rand(embd, ff))
    w.add_tensor(f"v.blk.{i}.ffn_down.bias", rand(embd, scale=0.01))
# Projector output is scaled up so the image tokens move the text model noticeably.
w.add_tensor("mm.0.weight", rand(text_embd, embd, scale=0.5))
w.add_tensor("mm.0.bias", rand(text_embd, scale=0.01))
w.add_tensor("mm.2.weight", rand(text_embd, text_embd, scale=0.5))
w.add_tensor("mm.2.bias", rand(text_embd, scale=0.01))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print(out)
