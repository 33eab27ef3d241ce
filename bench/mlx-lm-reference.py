"""Python mlx-lm on the same model folder and prompt, for bench/mlx-bench.mjs. Prints JSON."""
import json
import sys

from mlx_lm import load, stream_generate
from mlx_lm.sample_utils import make_sampler

model_dir, prompt, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])
model, tokenizer = load(model_dir)
last = None
for response in stream_generate(model, tokenizer, prompt, max_tokens=max_tokens, sampler=make_sampler(temp=0.0)):
    last = response
print(json.dumps({
    "prompt_tokens": last.prompt_tokens,
    "prompt_tps": last.prompt_tps,
    "generation_tokens": last.generation_tokens,
    "generation_tps": last.generation_tps,
}))
