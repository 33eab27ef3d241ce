# Renders chat prompts with Python mlx-lm's tokenizer wrapper (mlx_lm.tokenizer_utils.load and
# TokenizerWrapper.apply_chat_template, which hand tools and enable_thinking to transformers'
# template renderer), for comparing with our rendering token for token.
# stdin: [{"dir", "messages", "tools"?, "enable_thinking"?}]; stdout: [{"ids", "text"}].
import json
import sys
from pathlib import Path

from mlx_lm.tokenizer_utils import load

jobs = json.load(sys.stdin)
results = []
for job in jobs:
    tokenizer = load(Path(job["dir"]))
    kwargs = {"add_generation_prompt": True}
    if job.get("tools") is not None:
        kwargs["tools"] = job["tools"]
    if job.get("enable_thinking") is not None:
        kwargs["enable_thinking"] = job["enable_thinking"]
    text = tokenizer.apply_chat_template(job["messages"], tokenize=False, **kwargs)
    ids = tokenizer.apply_chat_template(job["messages"], tokenize=True, **kwargs)
    results.append({"text": text, "ids": list(ids)})
json.dump(results, sys.stdout)
