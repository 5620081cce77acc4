"""Golden outputs of Pillow's Image.resize (the resampling transformers' image processors use) for the TypeScript
pilResize, and of BlipImageProcessor's full arithmetic (resize → rescale → normalize) for blipPixelValues.

Writes to the output folder: two source PNGs and cases.json, where each case lists the source, target size, filter
and the SHA-256 of Pillow's output bytes (plus its first values, to make a mismatch readable), and blip.json with
pixel_values computed as transformers does (PIL BICUBIC resize; float64 × 1/255 stored as float32; (x − mean) / std
in float32 with OPENAI CLIP mean/std) for a 224×224 target.

usage: /usr/bin/python3 tools/golden/captioner/make_pil_resize_golden.py packages/captioner/src/fixtures/pil-resize
"""
import hashlib
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS, "box": Image.BOX,
           "hamming": Image.HAMMING}
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def sources():
    rng = np.random.default_rng(7)
    # small noisy RGB: every output pixel depends on many distinct inputs
    small = rng.integers(0, 256, (23, 37, 3)).astype(np.uint8)
    # larger smooth RGB with sharp edges (ringing/clipping in bicubic and lanczos): compresses well as PNG
    yy, xx = np.mgrid[0:200, 0:300]
    big = np.stack([
        127.5 + 127.5 * np.sin(xx / 7.0) * np.cos(yy / 11.0),
        np.where((xx // 25 + yy // 25) % 2 == 0, 250, 5),
        (xx + 2 * yy) % 256,
    ], -1).astype(np.uint8)
    grey = rng.integers(0, 256, (19, 21)).astype(np.uint8)
    return {"small.png": small, "big.png": big, "grey.png": grey}


def main(out):
    os.makedirs(out, exist_ok=True)
    srcs = sources()
    for name, arr in srcs.items():
        Image.fromarray(arr).save(os.path.join(out, name))
    plan = [
        ("small.png", 20, 12, "bicubic"), ("small.png", 64, 50, "bicubic"), ("small.png", 37, 10, "bicubic"),
        ("small.png", 15, 23, "bicubic"), ("small.png", 17, 29, "bilinear"), ("small.png", 17, 29, "lanczos"),
        ("small.png", 17, 29, "box"), ("small.png", 17, 29, "hamming"), ("small.png", 5, 3, "bicubic"),
        ("big.png", 224, 224, "bicubic"), ("big.png", 97, 61, "lanczos"), ("big.png", 300, 401, "bicubic"),
        ("grey.png", 8, 8, "bicubic"), ("grey.png", 40, 7, "bilinear"),
    ]
    cases = []
    for src, w, h, flt in plan:
        img = Image.open(os.path.join(out, src))
        res = np.asarray(img.resize((w, h), resample=FILTERS[flt], reducing_gap=None))
        cases.append({"source": src, "width": w, "height": h, "filter": flt,
                      "sha256": hashlib.sha256(res.tobytes()).hexdigest(), "first": res.flatten()[:12].tolist()})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"pillow": PIL.__version__, "cases": cases}, f, indent=1)
        f.write("\n")

    img = np.asarray(Image.open(os.path.join(out, "big.png")).convert("RGB").resize((224, 224), resample=Image.BICUBIC, reducing_gap=None))
    x = (img.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - np.array(CLIP_MEAN, dtype=np.float32)) / np.array(CLIP_STD, dtype=np.float32)
    x = np.ascontiguousarray(x.transpose(2, 0, 1))
    with open(os.path.join(out, "blip.json"), "w") as f:
        json.dump({"source": "big.png", "shape": list(x.shape), "sha256_float32": hashlib.sha256(x.tobytes()).hexdigest(),
                   "first": [float(v) for v in x.flatten()[:8]], "sum": float(x.astype(np.float64).sum())}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
