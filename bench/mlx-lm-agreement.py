"""mlx-lm's answers for the agreement checks (provider-mlx test/mlx-lm-agreement.test.ts).

Reads a JSON list of jobs on stdin, prints a JSON list of results, one per job:
  {"op": "decode", "dir": D, "prompt": [ids], "greedy": N, "forced": [ids], "kv_bits": B?, "kv_group_size": G?}
      -> {"greedy": N ids picked greedily after the prompt (with kv_bits: the cache quantized
          after the prompt, as mlx-lm's generate does with quantized_kv_start 0),
          "forced": the argmax after each prefix of "forced", in one forward pass}
  {"op": "convert", "source": D, "destination": D2, "bits": 4|8, "group_size": 64}
      -> {} after mlx_lm.convert wrote a quantized copy
One process serves many jobs: importing mlx-lm costs seconds, a tiny model's forward pass doesn't.
"""
import json
import sys
from pathlib import Path

import mlx.core as mx
from mlx_lm.convert import convert
from mlx_lm.models.cache import make_prompt_cache
from mlx_lm.utils import load_model


def decode(job):
    model, _ = load_model(Path(job["dir"]))
    cache = make_prompt_cache(model)
    logits = model(mx.array([job["prompt"]]), cache=cache)
    if job.get("kv_bits"):
        cache = [c.to_quantized(group_size=job.get("kv_group_size", 64), bits=job["kv_bits"]) for c in cache]
    greedy = []
    for _ in range(job["greedy"]):
        token = int(mx.argmax(logits[0, -1]).item())
        greedy.append(token)
        logits = model(mx.array([[token]]), cache=cache)
    forced = mx.argmax(model(mx.array([job["forced"]])), axis=-1)[0].tolist()
    return {"greedy": greedy, "forced": forced}


def quantize(job):
    convert(job["source"], job["destination"], quantize=True, q_bits=job["bits"], q_group_size=job.get("group_size", 64))
    return {}


results = []
for job in json.load(sys.stdin):
    with open("/dev/null", "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet  # convert prints progress
        try:
            results.append(decode(job) if job["op"] == "decode" else quantize(job))
        finally:
            sys.stdout = stdout
print(json.dumps(results))
