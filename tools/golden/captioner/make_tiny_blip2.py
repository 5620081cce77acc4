"""Tiny random BLIP-2 (Blip2ForConditionalGeneration with an OPT language model) in the exact transformers folder
layout of Salesforce/blip2-opt-2.7b, with reference outputs computed by plain torch modules that follow
transformers' modeling_blip_2.py / modeling_opt.py semantics (python `transformers` cannot be installed here, so
this is the "independent computation" stand-in until golden files made by transformers itself exist):

  config.json, generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json,
  special_tokens_map.json, model.safetensors.index.json, model-00001-of-00002.safetensors,
  model-00002-of-00002.safetensors (lm_head omitted: tied to embed_tokens, as save_pretrained writes it),
  image.png (48×40 test image), reference.safetensors, golden.json

reference.safetensors: pixel_values (BlipImageProcessor: PIL bicubic resize to 32×32, rescale, CLIP mean/std),
vision_last_hidden_state (after post_layernorm), qformer_last_hidden_state, language_projection, prompt_logits
(OPT logits for [query embeds] + embed("</s>a room with")), all float32.
golden.json: prompt text/ids, greedy prompt-free caption ids/text, min top-1/top-2 logit margin, and the
beam-search ids of two settings (hf_beam_search.py, written as transformers' beam_search).

Semantics reproduced (names are the transformers state_dict keys):
- vision: Conv2d patches + class_embedding + position_embedding; pre-LN layers; attention through one `qkv`
  Linear without bias plus a bias cat(q_bias, 0, v_bias); scale head_dim^-0.5; exact GELU MLP; post_layernorm.
- Q-Former: layernorm(query_tokens); BERT post-LN layers: self-attention, cross-attention to the image
  features in layers i % cross_attention_frequency == 0, then intermediate_query/output_query FFN.
- OPT: embed_tokens, learned positions at (cumsum(mask)·mask − 1) + 2, pre-LN layers with q scaled by
  head_dim^-0.5 before QKᵀ, causal mask, ReLU FFN, final_layer_norm, lm_head = embed_tokensᵀ.
- generation: inputs_embeds = [language_projection(Q-Former(image)), embed(</s>)], greedy until eos ("\\n").

usage: PYTHONPATH=tools/python /usr/bin/python3 tools/golden/captioner/make_tiny_blip2.py packages/captioner/src/fixtures/tiny-blip2
"""
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_bpe  # noqa: E402
from hf_beam_search import beam_search  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402  (tools/python shim)

SEED = 20240611
VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32,
              patch_size=8, layer_norm_eps=1e-6, qkv_bias=True, hidden_act="gelu", num_channels=3)
QFORMER = dict(hidden_size=24, intermediate_size=48, num_hidden_layers=3, num_attention_heads=4,
               cross_attention_frequency=2, layer_norm_eps=1e-12, hidden_act="gelu")
TEXT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, ffn_dim=64, max_position_embeddings=64,
            word_embed_proj_dim=32)
NUM_QUERY = 4
PROMPT = "a room with"
MAX_NEW_TOKENS = 10
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


# ------------------------------------------------------------------------------------------------- vision
class VisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, p = c["hidden_size"], c["patch_size"]
        self.class_embedding = nn.Parameter(torch.zeros(1, 1, h))
        self.patch_embedding = nn.Conv2d(3, h, kernel_size=p, stride=p)
        self.position_embedding = nn.Parameter(torch.zeros(1, (c["image_size"] // p) ** 2 + 1, h))

    def forward(self, x):
        x = self.patch_embedding(x).flatten(2).transpose(1, 2)
        return torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], dim=1) + self.position_embedding


class VisionAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.qkv = nn.Linear(h, 3 * h, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(h))
        self.v_bias = nn.Parameter(torch.zeros(h))
        self.projection = nn.Linear(h, h)

    def forward(self, x):
        b, t, h = x.shape
        bias = torch.cat([self.q_bias, torch.zeros_like(self.v_bias), self.v_bias])
        qkv = nn.functional.linear(x, self.qkv.weight, bias).reshape(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        p = torch.softmax((q @ k.transpose(-1, -2)) * (h // self.heads) ** -0.5, dim=-1)
        return self.projection((p @ v).permute(0, 2, 1, 3).reshape(b, t, h))


class VisionMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.fc2 = nn.Linear(c["intermediate_size"], c["hidden_size"])

    def forward(self, x):
        return self.fc2(nn.functional.gelu(self.fc1(x)))


class VisionLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps = c["hidden_size"], c["layer_norm_eps"]
        self.self_attn = VisionAttention(c)
        self.layer_norm1 = nn.LayerNorm(h, eps=eps)
        self.mlp = VisionMLP(c)
        self.layer_norm2 = nn.LayerNorm(h, eps=eps)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class VisionEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([VisionLayer(c) for _ in range(c["num_hidden_layers"])])


class VisionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = VisionEmbeddings(c)
        self.encoder = VisionEncoder(c)
        self.post_layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        x = self.embeddings(x)
        for layer in self.encoder.layers:
            x = layer(x)
        return self.post_layernorm(x)


# ------------------------------------------------------------------------------------------------ Q-Former
class QFormerMultiHeadAttention(nn.Module):
    def __init__(self, c, kv_in):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(kv_in, h), nn.Linear(kv_in, h)

    def split(self, x):
        b, t, h = x.shape
        return x.view(b, t, self.heads, h // self.heads).permute(0, 2, 1, 3)

    def forward(self, x, enc=None):
        src = x if enc is None else enc
        q, k, v = self.split(self.query(x)), self.split(self.key(src)), self.split(self.value(src))
        s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        c = (torch.softmax(s, dim=-1) @ v).permute(0, 2, 1, 3)
        return c.reshape(c.shape[0], c.shape[1], -1)


class QFormerSelfOutput(nn.Module):
    def __init__(self, c, inner):
        super().__init__()
        self.dense = nn.Linear(inner, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class QFormerAttention(nn.Module):
    def __init__(self, c, kv_in):
        super().__init__()
        self.attention = QFormerMultiHeadAttention(c, kv_in)
        self.output = QFormerSelfOutput(c, c["hidden_size"])

    def forward(self, x, enc=None):
        return self.output(self.attention(x, enc), x)


class QFormerIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])


class QFormerLayer(nn.Module):
    def __init__(self, c, i, enc_h):
        super().__init__()
        self.attention = QFormerAttention(c, c["hidden_size"])
        self.has_cross = i % c["cross_attention_frequency"] == 0
        if self.has_cross:
            self.crossattention = QFormerAttention(c, enc_h)
        self.intermediate_query = QFormerIntermediate(c)
        self.output_query = QFormerSelfOutput(c, c["intermediate_size"])

    def forward(self, x, enc):
        x = self.attention(x)
        if self.has_cross:
            x = self.crossattention(x, enc)
        return self.output_query(nn.functional.gelu(self.intermediate_query.dense(x)), x)


class QFormerEncoder(nn.Module):
    def __init__(self, c, enc_h):
        super().__init__()
        self.layer = nn.ModuleList([QFormerLayer(c, i, enc_h) for i in range(c["num_hidden_layers"])])


class QFormerModel(nn.Module):
    def __init__(self, c, enc_h):
        super().__init__()
        self.layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.encoder = QFormerEncoder(c, enc_h)

    def forward(self, query_embeds, enc):
        x = self.layernorm(query_embeds)
        for layer in self.encoder.layer:
            x = layer(x, enc)
        return x


# ---------------------------------------------------------------------------------------------------- OPT
class OPTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(h, h) for _ in range(4))

    def split(self, x):
        b, t, h = x.shape
        return x.view(b, t, self.heads, h // self.heads).permute(0, 2, 1, 3)

    def forward(self, x):
        hd = x.shape[-1] // self.heads
        q = self.split(self.q_proj(x) * hd ** -0.5)
        k, v = self.split(self.k_proj(x)), self.split(self.v_proj(x))
        s = q @ k.transpose(-1, -2)
        t = x.shape[1]
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        s = s.masked_fill(~causal, torch.finfo(s.dtype).min)
        o = (torch.softmax(s, dim=-1) @ v).permute(0, 2, 1, 3)
        return self.out_proj(o.reshape(o.shape[0], t, -1))


class OPTDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.self_attn = OPTAttention(c)
        self.self_attn_layer_norm = nn.LayerNorm(h)
        self.fc1 = nn.Linear(h, c["ffn_dim"])
        self.fc2 = nn.Linear(c["ffn_dim"], h)
        self.final_layer_norm = nn.LayerNorm(h)

    def forward(self, x):
        x = x + self.self_attn(self.self_attn_layer_norm(x))
        return x + self.fc2(torch.relu(self.fc1(self.final_layer_norm(x))))


class OPTDecoder(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        h = c["hidden_size"]
        self.embed_tokens = nn.Embedding(vocab, c["word_embed_proj_dim"])
        self.embed_positions = nn.Embedding(c["max_position_embeddings"] + 2, h)
        self.final_layer_norm = nn.LayerNorm(h)
        self.layers = nn.ModuleList([OPTDecoderLayer(c) for _ in range(c["num_hidden_layers"])])


class OPTModel(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.decoder = OPTDecoder(c, vocab)


class OPTForCausalLM(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.model = OPTModel(c, vocab)

    def forward(self, inputs_embeds):
        d = self.model.decoder
        mask = torch.ones(inputs_embeds.shape[:2], dtype=torch.long)
        positions = (torch.cumsum(mask, dim=1) * mask - 1) + 2
        x = inputs_embeds + d.embed_positions(positions)
        for layer in d.layers:
            x = layer(x)
        x = d.final_layer_norm(x)
        return x @ d.embed_tokens.weight.T  # lm_head tied to embed_tokens


class Blip2ForConditionalGeneration(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.vision_model = VisionModel(VISION)
        self.query_tokens = nn.Parameter(torch.zeros(1, NUM_QUERY, QFORMER["hidden_size"]))
        self.qformer = QFormerModel(QFORMER, VISION["hidden_size"])
        self.language_projection = nn.Linear(QFORMER["hidden_size"], TEXT["hidden_size"])
        self.language_model = OPTForCausalLM(TEXT, vocab)


# ------------------------------------------------------------------------------------------------ helpers
def blip_pixel_values(img_u8):
    """BlipImageProcessor: PIL resize (BICUBIC), rescale (float64 × 1/255 → float32), normalize in float32."""
    pil = Image.fromarray(img_u8, "RGB").resize((VISION["image_size"], VISION["image_size"]), resample=Image.BICUBIC, reducing_gap=None)
    x = np.asarray(pil)
    x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - np.array(CLIP_MEAN, dtype=np.float32)) / np.array(CLIP_STD, dtype=np.float32)
    return x.transpose(2, 0, 1)[None].copy()


def build(seed, vocab, eos):
    torch.manual_seed(seed)
    V = len(vocab)
    model = Blip2ForConditionalGeneration(V).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name.lower() and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
        # whole words (with their leading space) and "\n" dominate greedy choices over single bytes
        scale = torch.full((V,), 0.1)
        for tok, i in vocab.items():
            if tok.startswith("Ġ") and tok[1:] in tiny_bpe.WORDS:
                scale[i] = 1.5
        scale[eos] = 1.6
        model.language_model.model.decoder.embed_tokens.weight.mul_(scale[:, None])
    return model


def run(model, pv, prompt_ids, bos, eos):
    with torch.no_grad():
        vis = model.vision_model(pv)
        qf = model.qformer(model.query_tokens.expand(1, -1, -1), vis)
        proj = model.language_projection(qf)
        embed = model.language_model.model.decoder.embed_tokens
        prompt_logits = model.language_model(torch.cat([proj, embed(torch.tensor([prompt_ids]))], dim=1))
        ids, margins = [bos], []
        for _ in range(MAX_NEW_TOKENS):
            logits = model.language_model(torch.cat([proj, embed(torch.tensor([ids]))], dim=1))[0, -1]
            top2 = torch.topk(logits, 2).values
            margins.append(float(top2[0] - top2[1]))
            ids.append(int(torch.argmax(logits)))
            if ids[-1] == eos:
                break
    return vis, qf, proj, prompt_logits, ids, margins


def beam_cases(model, proj, bos, eos):
    cases = []
    for nb, mx in ((3, MAX_NEW_TOKENS), (2, 3)):
        got = beam_search(model, proj, bos, eos, nb, mx)
        assert got == beam_search(model, proj, bos, eos, nb, mx, dtype=torch.float64), "beam search depends on float precision"
        cases.append({"num_beams": nb, "max_new_tokens": mx, "length_penalty": 1.0, "ids": got})
    return cases


def main(out):
    os.makedirs(out, exist_ok=True)
    vocab, merges, special = tiny_bpe.build_vocab(leading_specials=("<s>", "<pad>", "</s>", "<unk>"), specials=())
    V = len(vocab)
    bos, pad, eos = vocab["</s>"], vocab["<pad>"], vocab["Ċ"]  # OPT: </s> starts, "\n" ends BLIP-2 captions

    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:40, 0:48]
    img = np.stack([(xx * 5) % 256, (yy * 6) % 256, ((xx + 2 * yy) * 3) % 256], -1) + rng.integers(0, 48, (40, 48, 3))
    img = (img % 256).astype(np.uint8)
    Image.fromarray(img, "RGB").save(os.path.join(out, "image.png"))
    prompt_ids = [bos] + tiny_bpe.encode(PROMPT, vocab, merges)
    pv = torch.from_numpy(blip_pixel_values(img))

    # Seeded weights; the first seed whose greedy caption ends with eos (after ≥ 2 distinct tokens) without
    # near-ties is kept, so the golden caption exercises stopping and is robust to float32 rounding.
    for seed in range(SEED, SEED + 500):
        model = build(seed, vocab, eos)
        vis, qf, proj, prompt_logits, ids, margins = run(model, pv, prompt_ids, bos, eos)
        if ids[-1] == eos and min(margins) > 0.05 and len(set(ids[1:-1])) >= 2:
            try:  # eos within the top num_beams at the first step would divide by a zero length (as transformers)
                beams = beam_cases(model, proj, bos, eos)
            except ZeroDivisionError:
                continue
            # beam search should find a finished caption greedy does not; the short case ends at max length
            if beams[0]["ids"] != ids[1:] and beams[0]["ids"][-1] == eos and beams[1]["ids"][-1] != eos:
                break
    else:
        sys.exit("no acceptable seed")
    caption = tiny_bpe.decode(ids, vocab, {"</s>": bos, "<pad>": pad, "<s>": 0, "<unk>": 3}).strip()
    print(f"seed {seed}: caption ids {ids} text {caption!r} min margin {min(margins):.4f}")

    for b in beams:
        print(f"beam search num_beams={b['num_beams']} max_new_tokens={b['max_new_tokens']}: {b['ids']}")

    # ---- weights: the state_dict without the tied lm_head, in two shards plus an index (save_pretrained layout)
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    names = sorted(sd)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for fname, keys in shards.items():
        save_file({k: sd[k] for k in keys}, os.path.join(out, fname), metadata={"format": "pt"})
        weight_map.update({k: fname for k in keys})
    total = sum(a.nbytes for a in sd.values())
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
        f.write("\n")

    save_file({
        "pixel_values": pv.numpy(), "vision_last_hidden_state": vis.numpy(), "qformer_last_hidden_state": qf.numpy(),
        "language_projection": proj.numpy(), "prompt_logits": prompt_logits.numpy(),
    }, os.path.join(out, "reference.safetensors"))

    config = {
        "architectures": ["Blip2ForConditionalGeneration"], "model_type": "blip-2", "num_query_tokens": NUM_QUERY,
        "initializer_factor": 1.0, "initializer_range": 0.02, "use_decoder_only_language_model": True,
        "vision_config": dict(model_type="blip_2_vision_model", **VISION),
        "qformer_config": dict(model_type="blip_2_qformer", encoder_hidden_size=VISION["hidden_size"], **QFORMER),
        "text_config": dict(model_type="opt", architectures=["OPTForCausalLM"], vocab_size=V, bos_token_id=bos,
                            pad_token_id=pad, eos_token_id=eos, prefix="</s>", activation_function="relu",
                            do_layer_norm_before=True, **TEXT),
        "torch_dtype": "float32", "transformers_version": "4.36.0",
    }
    tok_cfg = {"tokenizer_class": "GPT2Tokenizer", "add_bos_token": True, "add_prefix_space": False,
               "bos_token": "</s>", "eos_token": "</s>", "unk_token": "</s>", "pad_token": "<pad>",
               "clean_up_tokenization_spaces": False, "model_max_length": TEXT["max_position_embeddings"]}
    files = {
        "config.json": config,
        "generation_config.json": {"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad},
        "preprocessor_config.json": {"image_processor_type": "BlipImageProcessor", "processor_class": "Blip2Processor",
                                     "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
                                     "image_mean": CLIP_MEAN, "image_std": CLIP_STD, "resample": 3,
                                     "rescale_factor": 1 / 255, "size": {"height": VISION["image_size"], "width": VISION["image_size"]}},
        "tokenizer.json": tiny_bpe.tokenizer_json(vocab, merges, {"<s>": 0, "<pad>": pad, "</s>": bos, "<unk>": 3}, post_bos="</s>"),
        "tokenizer_config.json": tok_cfg,
        "special_tokens_map.json": {"bos_token": "</s>", "eos_token": "</s>", "unk_token": "</s>", "pad_token": "<pad>"},
        "golden.json": {"seed": seed, "prompt": PROMPT, "prompt_ids": prompt_ids, "caption_ids": ids, "caption": caption,
                        "max_new_tokens": MAX_NEW_TOKENS, "min_margin": min(margins), "beam_search": beams, "bos_token_id": bos,
                        "eos_token_id": eos, "image": "image.png"},
    }
    for name, obj in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=1, ensure_ascii=False)
            f.write("\n")
    size = sum(os.path.getsize(os.path.join(out, fn)) for fn in os.listdir(out))
    print(f"wrote {out} ({size} bytes, {sum(a.size for a in sd.values())} parameters)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
