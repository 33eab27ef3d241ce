"""Times mlx-vlm's image prefill (vision tower + projector) for bench/vision-encode-bench.mjs.

  python3 bench/mlx-vlm-encode-bench.py DIR RUNS  -> JSON {"ms": [one per run, after a warm-up]}
The pixels are random, channels-first at the model's resolution, as its processor would return them.
"""
import json
import sys
import time
from pathlib import Path

import mlx.core as mx
from mlx_vlm.utils import load_model

folder, runs = sys.argv[1], int(sys.argv[2])
model = load_model(Path(folder))
config = model.config
size = config.vision_config.image_size
pixels = mx.random.uniform(-1, 1, (1, 3, size, size))
if config.model_type == "gemma3":
    count = config.text_config.mm_tokens_per_image
else:
    count = (size // config.vision_config.patch_size) ** 2
ids = mx.array([[config.image_token_index] * count])
mask = mx.ones(ids.shape, dtype=mx.int32)
times = []
for run in range(runs + 1):
    start = time.perf_counter()
    mx.eval(model.get_input_embeddings(ids, pixels, mask=mask).inputs_embeds)
    if run > 0:
        times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"ms": times}))
