"""Reference pixel values for provider-mlx's image preprocessing, from Hugging Face transformers' own
image processors on their PIL/numpy backend (the backend mlx-vlm gets without torch).

Reads a JSON list of jobs on stdin and prints a JSON list of answers, one per job:
  {"op": "process", "config": {...preprocessor_config.json...}, "image": "a.png", "output": "a.f32"}
      writes pixel_values as raw little-endian float32 to `output`; answers
      {"shape": [...], "image_grid_thw": [t, h, w] or null, "processor": class name}; with "repeat": n it
      also answers "milliseconds", the median time of n calls on the already loaded image
  {"op": "decode", "image": "a.jpg", "output": "a.rgb"}
      writes the image as Pillow decodes it (RGB bytes, row-major) to `output`; answers {"width", "height"}
  {"op": "resize", "image": "a.png", "width": w, "height": h, "filter": "bicubic", "output": "a.rgb"}
      writes Pillow's Image.resize of the image (RGB bytes) to `output`; answers {}
Run with PYTHONPATH set to the folder bench/install-vision-reference.mjs installs into.
"""
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageOps
from transformers import AutoImageProcessor


def load_image(path):
    # As mlx-vlm and transformers' load_image do: apply the EXIF orientation; the processor converts to RGB.
    image = Image.open(path)
    image.load()
    return ImageOps.exif_transpose(image)


processors = {}
filters = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}


def processor_for(config):
    key = json.dumps(config, sort_keys=True)
    if key not in processors:
        folder = tempfile.mkdtemp(prefix="heylook-vision-reference-")
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as file:
            json.dump(config, file)
        processors[key] = AutoImageProcessor.from_pretrained(folder, backend="pil")
    return processors[key]


def run(job):
    if job["op"] == "decode":
        image = load_image(job["image"]).convert("RGB")
        np.asarray(image, dtype=np.uint8).tofile(job["output"])
        return {"width": image.width, "height": image.height}
    if job["op"] == "resize":
        image = load_image(job["image"]).convert("RGB")
        resized = image.resize((job["width"], job["height"]), filters[job["filter"]])
        np.asarray(resized, dtype=np.uint8).tofile(job["output"])
        return {}
    processor = processor_for(job["config"])
    image = load_image(job["image"])
    times = []
    for _ in range(job.get("repeat", 1)):
        start = time.perf_counter()
        result = processor(images=[image], return_tensors="np")
        times.append((time.perf_counter() - start) * 1000)
    pixels = np.asarray(result["pixel_values"], dtype=np.float32)
    pixels.astype("<f4").tofile(job["output"])
    grid = result.get("image_grid_thw")
    return {
        "shape": list(pixels.shape),
        "image_grid_thw": None if grid is None else [int(value) for value in np.asarray(grid)[0]],
        "processor": type(processor).__name__,
        "milliseconds": statistics.median(times),
    }


if __name__ == "__main__":
    print(json.dumps([run(job) for job in json.load(sys.stdin)]))
