"""CLIP text encoder reference for the golden files.

The weights use transformers' CLIPTextModel state_dict names (text_model.embeddings.token_embedding.weight,
text_model.encoder.layers.{i}.self_attn.{q,k,v,out}_proj, ..., text_model.final_layer_norm). transformers cannot
be installed here, so the embeddings are computed by an independent implementation: openai/CLIP's model.py
(its token embedding, positional embedding, `Transformer` of `ResidualAttentionBlock`s with the causal
`build_attention_mask`, and `ln_final` — encode_text without the final projection), loaded through the name
mapping below. A second, direct transcription of transformers' CLIPTextTransformer forward (hf_semantics_forward)
checks the mapping: both must agree.
"""
import importlib.util
import os

import torch


def load_openai_model_module(clip_dir):
    spec = importlib.util.spec_from_file_location("clip_model", os.path.join(clip_dir, "clip", "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def init_hf_clip_text_weights(cfg, gen):
    """Seeded random weights under transformers' names (our own init: values spread so every tensor matters)."""
    d, inter, v, p = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"]
    sd = {}

    def lin(name, out, inp):
        bound = inp ** -0.5
        sd[name + ".weight"] = (torch.rand(out, inp, generator=gen) * 2 - 1) * bound
        sd[name + ".bias"] = (torch.rand(out, generator=gen) * 2 - 1) * bound

    def ln(name, c):
        sd[name + ".weight"] = 1 + 0.1 * torch.randn(c, generator=gen)
        sd[name + ".bias"] = 0.1 * torch.randn(c, generator=gen)

    sd["text_model.embeddings.token_embedding.weight"] = 0.5 * torch.randn(v, d, generator=gen)
    sd["text_model.embeddings.position_embedding.weight"] = 0.2 * torch.randn(p, d, generator=gen)
    for i in range(cfg["num_hidden_layers"]):
        pre = f"text_model.encoder.layers.{i}"
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            lin(f"{pre}.self_attn.{proj}", d, d)
        ln(f"{pre}.layer_norm1", d)
        lin(f"{pre}.mlp.fc1", inter, d)
        lin(f"{pre}.mlp.fc2", d, inter)
        ln(f"{pre}.layer_norm2", d)
    ln("text_model.final_layer_norm", d)
    return sd


def openai_text_encoder(clip_dir, cfg, hf_sd):
    """openai/CLIP's text tower with the transformers-named weights mapped in; returns a function ids -> hidden."""
    M = load_openai_model_module(clip_dir)
    d, heads, layers = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    assert cfg["intermediate_size"] == 4 * d, "openai's ResidualAttentionBlock hard-codes a 4x MLP"
    assert cfg["hidden_act"] == "quick_gelu"
    # A CLIP with a minimal vision tower; only the text parts are used.
    model = M.CLIP(embed_dim=d, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=16,
                   context_length=cfg["max_position_embeddings"], vocab_size=cfg["vocab_size"],
                   transformer_width=d, transformer_heads=heads, transformer_layers=layers).float().eval()
    mapped = {
        "token_embedding.weight": hf_sd["text_model.embeddings.token_embedding.weight"],
        "positional_embedding": hf_sd["text_model.embeddings.position_embedding.weight"],
        "ln_final.weight": hf_sd["text_model.final_layer_norm.weight"],
        "ln_final.bias": hf_sd["text_model.final_layer_norm.bias"],
    }
    for i in range(layers):
        h, o = f"text_model.encoder.layers.{i}", f"transformer.resblocks.{i}"
        mapped[f"{o}.attn.in_proj_weight"] = torch.cat([hf_sd[f"{h}.self_attn.{k}_proj.weight"] for k in "qkv"], 0)
        mapped[f"{o}.attn.in_proj_bias"] = torch.cat([hf_sd[f"{h}.self_attn.{k}_proj.bias"] for k in "qkv"], 0)
        for a, b in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("mlp.c_fc", "mlp.fc1"),
                     ("mlp.c_proj", "mlp.fc2"), ("ln_2", "layer_norm2")):
            mapped[f"{o}.{a}.weight"] = hf_sd[f"{h}.{b}.weight"]
            mapped[f"{o}.{a}.bias"] = hf_sd[f"{h}.{b}.bias"]
    text_keys = {k for k in model.state_dict() if k.startswith(("token_embedding", "positional_embedding", "ln_final", "transformer."))}
    assert text_keys == set(mapped), sorted(text_keys ^ set(mapped))
    model.load_state_dict(mapped, strict=False)

    @torch.no_grad()
    def encode(ids):
        # encode_text up to ln_final (SD uses the whole last_hidden_state, not the pooled projection).
        x = model.token_embedding(ids)
        x = x + model.positional_embedding
        x = x.permute(1, 0, 2)
        x = model.transformer(x)
        x = x.permute(1, 0, 2)
        return model.ln_final(x)

    return encode


@torch.no_grad()
def hf_semantics_forward(cfg, sd, ids):
    """transformers' CLIPTextTransformer forward, transcribed with plain torch ops over the named weights."""
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = d // heads
    eps = cfg["layer_norm_eps"]
    b, n = ids.shape
    x = sd["text_model.embeddings.token_embedding.weight"][ids] + sd["text_model.embeddings.position_embedding.weight"][:n]
    mask = torch.full((n, n), float("-inf")).triu(1)
    lin = lambda t, p: t @ sd[p + ".weight"].T + sd[p + ".bias"]
    ln = lambda t, p: torch.nn.functional.layer_norm(t, (d,), sd[p + ".weight"], sd[p + ".bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"text_model.encoder.layers.{i}"
        h = ln(x, p + ".layer_norm1")
        q = lin(h, p + ".self_attn.q_proj").view(b, n, heads, hd).transpose(1, 2) * hd ** -0.5
        k = lin(h, p + ".self_attn.k_proj").view(b, n, heads, hd).transpose(1, 2)
        v = lin(h, p + ".self_attn.v_proj").view(b, n, heads, hd).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) + mask, -1) @ v
        x = x + lin(a.transpose(1, 2).reshape(b, n, d), p + ".self_attn.out_proj")
        h = lin(ln(x, p + ".layer_norm2"), p + ".mlp.fc1")
        h = h * torch.sigmoid(1.702 * h)
        x = x + lin(h, p + ".mlp.fc2")
    return ln(x, "text_model.final_layer_norm")
