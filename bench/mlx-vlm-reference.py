"""mlx-vlm's answers for provider-mlx's vision checks (test/vision/vision-*.test.ts).

Reads a JSON list of jobs on stdin, prints a JSON list of results, one per job. Pixel values travel
as raw float32 files with their shape ([1, 3, H, W], as the image processors return them):
  {"op": "encode", "dir": D, "pixels": F, "shape": S, "output": F2}
      -> {"shape": [tokens, hidden]}; the image's rows for the language model, float32, in F2
         (mlx-vlm's vision tower and projector, through the model's own get_input_embeddings)
  {"op": "decode", "dir": D, "pixels": F, "shape": S, "prompt": [ids], "greedy": N, "forced": [ids]}
      -> {"greedy": N ids picked greedily after the prompt,
          "forced": the argmax after each prefix of "forced", in one forward pass}
  {"op": "convert", "source": D, "destination": D2, "bits": 4|8, "group_size": 64}
      -> {} after mlx_vlm.convert wrote a quantized copy (the mlx-community layout)
The prompts carry the image's tokens already expanded, as mlx-vlm's processors write them.

Gemma 3: mlx-vlm's generate() calls the language model without a mask (plain causal), while the
model's own forward pass (and Transformers) lets the tokens of one image attend to each other. This
script runs mlx-vlm's Gemma 3 layers with that mask, built from the runs of image tokens: causal
(windowed on local layers) or within one image. Its loop is Gemma3Model.__call__'s, with a mask per
layer kind instead of one for all.
"""
import json
import math
import sys
from pathlib import Path

import mlx.core as mx
import numpy as np
from mlx_vlm.convert import convert
from mlx_vlm.models.cache import make_prompt_cache
from mlx_vlm.utils import load_model

models = {}


def model_of(folder):
    if folder not in models:
        models[folder] = load_model(Path(folder))
    return models[folder]


def pixels_of(job):
    return mx.array(np.fromfile(job["pixels"], dtype=np.float32).reshape(job["shape"]))


def embeddings(model, ids, pixels):
    ids = mx.array([ids])
    output = model.get_input_embeddings(ids, pixels, mask=mx.ones(ids.shape, dtype=mx.int32))
    return output.inputs_embeds


def gemma3_masks(model, ids, window):
    """Causal (within `window` for local layers), plus each image token seeing its whole image."""
    length = len(ids)
    query = np.arange(length)[:, None]
    key = np.arange(length)[None, :]
    image = np.array(ids) == model.config.image_token_index
    run = np.cumsum(np.concatenate([[image[0]], image[1:] & ~image[:-1]])) * image
    same = (run[:, None] == run[None, :]) & image[:, None]
    causal = key <= query
    return mx.array(causal | same), mx.array((causal & (query - key < window)) | same)


def forward(model, ids, embeds, cache=None):
    """Logits of a prompt given its embeddings: mlx-vlm's language model, Gemma 3 with its image mask."""
    language = model.language_model
    if model.config.model_type != "gemma3":
        return language(mx.array([ids]), inputs_embeds=embeds, cache=cache).logits
    inner = language.model
    config = inner.config
    h = embeds * mx.array(config.hidden_size**0.5, mx.bfloat16).astype(embeds.dtype)
    full, local = gemma3_masks(model, ids, config.sliding_window)
    pattern = config.sliding_window_pattern
    for index, layer in enumerate(inner.layers):
        h = layer(h, full if index % pattern == pattern - 1 else local, None if cache is None else cache[index])
    return language.lm_head(inner.norm(h))


def encode(job):
    model = model_of(job["dir"])
    config = model.config
    pixels = pixels_of(job)
    if config.model_type == "gemma3":
        count = config.text_config.mm_tokens_per_image
    else:
        side = config.vision_config.image_size // config.vision_config.patch_size
        count = side * side + (1 if config.vision_feature_select_strategy == "full" else 0)
    rows = embeddings(model, [config.image_token_index] * count, pixels)[0]
    if config.model_type == "gemma3":
        rows = rows * math.sqrt(config.hidden_size)  # get_input_embeddings divides them by it
    rows = np.array(rows.astype(mx.float32))
    rows.tofile(job["output"])
    return {"shape": list(rows.shape)}


def decode(job):
    model = model_of(job["dir"])
    language = model.language_model
    pixels = pixels_of(job)
    prompt = job["prompt"]
    cache = make_prompt_cache(language)
    logits = forward(model, prompt, embeddings(model, prompt, pixels), cache)
    greedy = []
    for _ in range(job["greedy"]):
        token = int(mx.argmax(logits[0, -1]).item())
        greedy.append(token)
        logits = language(mx.array([[token]]), cache=cache).logits
    forced = job["forced"]
    logits = forward(model, forced, embeddings(model, forced, pixels))
    return {"greedy": greedy, "forced": mx.argmax(logits, axis=-1)[0].tolist()}


def quantize(job):
    convert(hf_path=job["source"], mlx_path=job["destination"], quantize=True, q_bits=job["bits"], q_group_size=job.get("group_size", 64))
    return {}


operations = {"encode": encode, "decode": decode, "convert": quantize}
results = []
for job in json.load(sys.stdin):
    with open("/dev/null", "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet  # convert prints progress
        try:
            results.append(operations[job["op"]](job))
        finally:
            sys.stdout = stdout
print(json.dumps(results))
