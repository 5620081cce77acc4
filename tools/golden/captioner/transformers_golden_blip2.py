"""Golden files for the tiny BLIP-2 fixture made by transformers itself (NOT RUN YET: python `transformers` cannot be
installed on the CPU machines; run this where it is, e.g. `pip install torch transformers safetensors pillow`).

It loads packages/captioner/src/fixtures/tiny-blip2 with Blip2ForConditionalGeneration and Blip2Processor,
recomputes what make_tiny_blip2.py computed with plain torch modules, prints the largest difference of each output
against reference.safetensors / golden.json, and writes transformers' values beside them:
reference.transformers.safetensors and golden.transformers.json. Once they agree (≤ 1e-5 expected), point the
TypeScript tests at the transformers files.

usage: python tools/golden/captioner/transformers_golden_blip2.py packages/captioner/src/fixtures/tiny-blip2
"""
import json
import os
import sys

import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import Blip2ForConditionalGeneration, Blip2Processor


def main(d):
    model = Blip2ForConditionalGeneration.from_pretrained(d, torch_dtype=torch.float32).eval()
    processor = Blip2Processor.from_pretrained(d)
    ref = load_file(os.path.join(d, "reference.safetensors"))
    golden = json.load(open(os.path.join(d, "golden.json")))
    image = Image.open(os.path.join(d, golden["image"])).convert("RGB")
    with torch.no_grad():
        pv = processor(images=image, return_tensors="pt").pixel_values
        vis = model.vision_model(pv).last_hidden_state
        q = model.qformer(query_embeds=model.query_tokens, encoder_hidden_states=vis, return_dict=True).last_hidden_state
        proj = model.language_projection(q)
        emb = model.language_model.get_input_embeddings()(torch.tensor([golden["prompt_ids"]]))
        logits = model.language_model(inputs_embeds=torch.cat([proj, emb], dim=1)).logits
        out = {"pixel_values": pv, "vision_last_hidden_state": vis, "qformer_last_hidden_state": q,
               "language_projection": proj, "prompt_logits": logits}
        for k, v in out.items():
            print(f"{k}: max |transformers - reference| = {(v - ref[k]).abs().max().item():.3g}")
        results = {"greedy": model.generate(pixel_values=pv, max_new_tokens=golden["max_new_tokens"]).tolist()}
        for b in golden["beam_search"]:
            results[f"beams{b['num_beams']}_max{b['max_new_tokens']}"] = model.generate(
                pixel_values=pv, num_beams=b["num_beams"], max_new_tokens=b["max_new_tokens"],
                length_penalty=b["length_penalty"], early_stopping=False).tolist()
    print("reference greedy ids:", golden["caption_ids"], "transformers:", results["greedy"])
    print("reference beam ids:", [b["ids"] for b in golden["beam_search"]])
    print("transformers (the prompt </s> may be prepended, depending on the version):", results)
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(d, "reference.transformers.safetensors"))
    with open(os.path.join(d, "golden.transformers.json"), "w") as f:
        json.dump({"transformers_version": __import__("transformers").__version__, **results}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
