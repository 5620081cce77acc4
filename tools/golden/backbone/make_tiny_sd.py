"""Tiny Stable Diffusion fixtures and golden outputs for @diff2in1/backbone-sd.

Writes, under --out (packages/backbone-sd/src/fixtures):
  tiny-sd/                  a diffusers SD folder with seeded random fp32 weights: model_index.json, unet/, vae/,
                            text_encoder/ (transformers CLIPTextModel names), tokenizer/ (first 1000 CLIP merges),
                            scheduler/
  tiny-sd-onnx/             the same models exported with torch.onnx (opset 17) in the diffusers/optimum ONNX layout
  clip-bpe-10k/             a second CLIP vocabulary (first 10000 merges) for tokenizer parity
  golden/tokenizer.json     token ids from openai/CLIP's simple_tokenizer.py for awkward prompts (both vocabularies)
  golden/unet.safetensors   diffusers v0.25.0 UNet noise predictions and feature taps on fixed inputs
  golden/unet-taps.json     the tap sets (names, groups, shapes) and the tap tensor names found in the ONNX export
  golden/vae.safetensors    diffusers AutoencoderKL encode (mean, std) and decode on fixed inputs
  golden/clip-text.safetensors  text embeddings from openai/CLIP's model.py text tower on the tiny weights
  golden/state-dict-shapes.json state_dict names and shapes (diffusers order) for the tiny and sd15 configs
  golden/config-defaults.json   UNet2DConditionModel / AutoencoderKL constructor arguments and their defaults

Run (Debian's python3 has torch 1.13; python3-onnx from apt):
  PYTHONPATH=tools/python /usr/bin/python3 tools/golden/backbone/make_tiny_sd.py \
      --diffusers /work/ref/diffusers-0.25.0 --hfhub /work/ref/hfhub-0.20.3 --clip /tmp/openai-clip \
      --out packages/backbone-sd/src/fixtures
where /tmp/openai-clip is a checkout of github.com/openai/CLIP (e.g. `git -C <mirror> archive HEAD | tar -x -C
/tmp/openai-clip`). Nothing here is needed by CI; its outputs are committed.
"""
import argparse
import json
import os
import shutil
import sys

TINY_MERGES = 1000
BIG_MERGES = 10000
VOCAB = 512 + TINY_MERGES + 2

SCHEDULER = {
    "_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": False,
    "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None, "clip_sample": False,
}


def added(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def special(content):
    return {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


TOKENIZER_CONFIG = {
    "add_prefix_space": False, "bos_token": added("<|startoftext|>"), "do_lower_case": True,
    "eos_token": added("<|endoftext|>"), "errors": "replace", "model_max_length": 77,
    "name_or_path": "diff2in1/tiny-clip-bpe", "pad_token": "<|endoftext|>",
    "special_tokens_map_file": "./special_tokens_map.json", "tokenizer_class": "CLIPTokenizer",
    "unk_token": added("<|endoftext|>"),
}
SPECIAL_TOKENS_MAP = {
    "bos_token": special("<|startoftext|>"), "eos_token": special("<|endoftext|>"), "pad_token": "<|endoftext|>",
    "unk_token": special("<|endoftext|>"),
}
MODEL_INDEX = {
    "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.25.0", "feature_extractor": [None, None],
    "requires_safety_checker": False, "safety_checker": [None, None], "scheduler": ["diffusers", "PNDMScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
}
DOWN = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
UP = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
UNET = {
    "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.25.0", "act_fn": "silu",
    "attention_head_dim": [2, 2, 4, 4], "block_out_channels": [8, 12, 16, 16], "center_input_sample": False,
    "cross_attention_dim": 32, "down_block_types": DOWN, "downsample_padding": 1, "flip_sin_to_cos": True,
    "freq_shift": 0, "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05,
    "norm_num_groups": 4, "out_channels": 4, "sample_size": 16, "up_block_types": UP,
}
VAE = {
    "_class_name": "AutoencoderKL", "_diffusers_version": "0.25.0", "act_fn": "silu",
    "block_out_channels": [8, 16, 16, 16], "down_block_types": ["DownEncoderBlock2D"] * 4, "in_channels": 3,
    "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 4, "out_channels": 3, "sample_size": 128,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}
TEXT = {
    "_name_or_path": "diff2in1/tiny-clip-text", "architectures": ["CLIPTextModel"], "attention_dropout": 0.0,
    "bos_token_id": VOCAB - 2, "dropout": 0.0, "eos_token_id": VOCAB - 1, "hidden_act": "quick_gelu",
    "hidden_size": 32, "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 128,
    "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "model_type": "clip_text_model",
    "num_attention_heads": 4, "num_hidden_layers": 2, "pad_token_id": 1, "projection_dim": 32,
    "torch_dtype": "float32", "vocab_size": VOCAB,
}
SD15_UNET = {
    "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False, "cross_attention_dim": 768, "down_block_types": DOWN, "downsample_padding": 1,
    "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1,
    "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64, "up_block_types": UP,
}
SD15_VAE = {
    "act_fn": "silu", "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3,
    "sample_size": 512, "up_block_types": ["UpDecoderBlock2D"] * 4,
}


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def model_kwargs(cfg):
    return {k: v for k, v in cfg.items() if not k.startswith("_")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diffusers", required=True, help="directory holding the diffusers v0.25.0 package")
    ap.add_argument("--hfhub", required=True, help="directory holding the huggingface_hub package")
    ap.add_argument("--clip", required=True, help="checkout of openai/CLIP (with clip/model.py, clip/simple_tokenizer.py)")
    ap.add_argument("--out", required=True, help="fixtures directory to (re)write")
    ap.add_argument("--skip-sd15", action="store_true", help="skip listing the full-size sd15 state_dicts (slow)")
    args = ap.parse_args()
    sys.path[:0] = [args.diffusers, args.hfhub, os.path.dirname(os.path.abspath(__file__))]

    import torch
    import clip_bpe
    import golden_models

    torch.manual_seed(0)
    torch.set_num_threads(2)
    out = os.path.abspath(args.out)
    tiny = os.path.join(out, "tiny-sd")
    gold = os.path.join(out, "golden")
    for d in (tiny, os.path.join(out, "tiny-sd-onnx"), os.path.join(out, "clip-bpe-10k")):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(gold, exist_ok=True)

    # --- tokenizers and token-id goldens (openai/CLIP's BPE on the same merges) ---
    tok_tiny, vocab_tiny = clip_bpe.write_tokenizer_folder(args.clip, TINY_MERGES, os.path.join(tiny, "tokenizer"),
                                                           TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP)
    assert len(vocab_tiny) == VOCAB
    tok_big, _ = clip_bpe.write_tokenizer_folder(args.clip, BIG_MERGES, os.path.join(out, "clip-bpe-10k"))
    write_json(os.path.join(gold, "tokenizer.json"), {
        "source": "openai/CLIP clip/simple_tokenizer.py (ftfy.fix_text shimmed as identity); [SOT]+bpe+[EOT], "
                  "truncated as clip.tokenize(truncate=True), padded with <|endoftext|> as SD v1-5",
        "prompts": clip_bpe.PROMPTS,
        "vocabularies": {
            "tiny-sd/tokenizer": [clip_bpe.prompt_ids(tok_tiny, p) for p in clip_bpe.PROMPTS],
            "clip-bpe-10k": [clip_bpe.prompt_ids(tok_big, p) for p in clip_bpe.PROMPTS],
        },
    })

    # --- the diffusers folder ---
    write_json(os.path.join(tiny, "model_index.json"), MODEL_INDEX)
    write_json(os.path.join(tiny, "scheduler", "scheduler_config.json"), SCHEDULER)
    write_json(os.path.join(tiny, "unet", "config.json"), UNET)
    write_json(os.path.join(tiny, "vae", "config.json"), VAE)
    write_json(os.path.join(tiny, "text_encoder", "config.json"), TEXT)
    golden_models.write_weights(tiny, UNET, VAE, TEXT, args.clip)

    # --- goldens from diffusers reading that folder back ---
    prompts = ["", "a photo of a cat", clip_bpe.PROMPTS[-1]]
    ids = torch.tensor([clip_bpe.prompt_ids(tok_tiny, p) for p in prompts], dtype=torch.int64)
    text_hidden = golden_models.clip_golden(tiny, TEXT, args.clip, ids, os.path.join(gold, "clip-text.safetensors"), prompts)
    taps = golden_models.unet_golden(tiny, text_hidden[:1], os.path.join(gold, "unet.safetensors"))
    golden_models.vae_golden(tiny, os.path.join(gold, "vae.safetensors"))
    onnx_taps = golden_models.export_onnx(tiny, os.path.join(out, "tiny-sd-onnx"), TEXT, taps)
    taps["onnx"] = onnx_taps
    write_json(os.path.join(gold, "unet-taps.json"), taps)

    write_json(os.path.join(gold, "config-defaults.json"), golden_models.config_defaults())
    shapes = {"tiny": golden_models.state_dict_shapes(model_kwargs(UNET), model_kwargs(VAE))}
    if not args.skip_sd15:
        shapes["sd15"] = golden_models.state_dict_shapes(SD15_UNET, SD15_VAE)
    write_json(os.path.join(gold, "state-dict-shapes.json"), shapes)
    print("done")


if __name__ == "__main__":
    main()
