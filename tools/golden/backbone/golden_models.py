"""Model parts of make_tiny_sd.py: seeded weights, diffusers v0.25.0 reference runs, feature taps, ONNX export."""
import json
import os
import shutil
import tempfile

import torch
from safetensors.torch import load_file, save_file

import clip_text_reference


# ----------------------------------------------------------------------------------------------------------------
# Feature taps.
#
# `vpd`: outputs of up_blocks[0].resnets[1], up_blocks[1].attentions[1], up_blocks[2].attentions[1] and of the last
# up block (for SD v1-5 at 512²: 1280@8, 1280@16, 640@32, 320@64).
#
# `all`, as the official Diff-2-in-1 code collects it (github.com/zsh2000/diff-2-in-1,
# ldm/modules/diffusionmodules/openaimodel.py, UNetModel.forward when t is 0 or 1): the output of EVERY LDM
# `input_blocks[k]` (12), of `middle_block`, and of every `output_blocks[k]` (12), appended in execution order to
# all_feature_dic["low" | "mid" | "high" | "highest"] by spatial size 8 / 16 / 32 / 64 (512² input), i.e. latent
# size / 8, / 4, / 2, / 1. ldm/models/sn_module.py then resizes each group's tensors to one size and concatenates
# them on channels (in-channels 1280·6, 1280·5+640, 1280+640·4+320, 640+320·6). In diffusers module names an LDM
# input block is conv_in, a (resnet[, transformer]) layer of a down block, or a down block's downsampler — exactly
# the skip tensors diffusers keeps in `down_block_res_samples` — and an LDM output block is a (resnet[, transformer])
# layer of an up block, the last one of each block followed by that block's upsampler.
# ----------------------------------------------------------------------------------------------------------------
GROUPS = {1: "highest", 2: "high", 4: "mid", 8: "low"}


def vpd_taps(cfg):
    n = len(cfg["block_out_channels"])
    out = []
    for i, t in enumerate(cfg["up_block_types"][:-1]):
        out.append(f"up_blocks.{i}.{'attentions' if t.startswith('CrossAttn') else 'resnets'}.1")
    out.append(f"up_blocks.{n - 1}")
    return out


def all_taps(cfg):
    n, L = len(cfg["block_out_channels"]), cfg["layers_per_block"]
    out = ["conv_in"]
    for i, t in enumerate(cfg["down_block_types"]):
        kind = "attentions" if t.startswith("CrossAttn") else "resnets"
        out += [f"down_blocks.{i}.{kind}.{j}" for j in range(L)]
        if i < n - 1:
            out.append(f"down_blocks.{i}.downsamplers.0")
    out.append("mid_block")
    for i, t in enumerate(cfg["up_block_types"]):
        kind = "attentions" if t.startswith("CrossAttn") else "resnets"
        for j in range(L + 1):
            out.append(f"up_blocks.{i}.upsamplers.0" if (j == L and i < n - 1) else f"up_blocks.{i}.{kind}.{j}")
    return out


def capture(unet, names):
    """Forward hooks storing each named module's output tensor (Transformer2DModel returns a tuple)."""
    store, handles = {}, []
    modules = dict(unet.named_modules())
    for name in names:
        def hook(_m, _inp, output, name=name):
            store[name] = output[0] if isinstance(output, tuple) else output
        handles.append(modules[name].register_forward_hook(hook))
    return store, handles


# ----------------------------------------------------------------------------------------------------------------
# Weights.
# ----------------------------------------------------------------------------------------------------------------
def spread_norms(model, gen):
    """PyTorch's default init leaves every norm at weight 1 / bias 0, which would hide a weight/bias mix-up:
    give them seeded values around those instead."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.GroupNorm, torch.nn.LayerNorm)) and m.weight is not None:
                m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))


def write_weights(folder, unet_cfg, vae_cfg, text_cfg, clip_dir):
    from diffusers import AutoencoderKL, UNet2DConditionModel

    gen = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    kw = lambda c: {k: v for k, v in c.items() if not k.startswith("_")}
    unet = UNet2DConditionModel(**kw(unet_cfg))
    spread_norms(unet, gen)
    save_file(unet.state_dict(), os.path.join(folder, "unet", "diffusion_pytorch_model.safetensors"))
    vae = AutoencoderKL(**kw(vae_cfg))
    spread_norms(vae, gen)
    save_file(vae.state_dict(), os.path.join(folder, "vae", "diffusion_pytorch_model.safetensors"))
    text = clip_text_reference.init_hf_clip_text_weights(text_cfg, gen)
    save_file(text, os.path.join(folder, "text_encoder", "model.safetensors"))


def load_unet(folder):
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel.from_pretrained(os.path.join(folder, "unet")).eval()


def load_vae(folder):
    from diffusers import AutoencoderKL
    return AutoencoderKL.from_pretrained(os.path.join(folder, "vae")).eval()


# ----------------------------------------------------------------------------------------------------------------
# Golden runs.
# ----------------------------------------------------------------------------------------------------------------
@torch.no_grad()
def clip_golden(folder, cfg, clip_dir, ids, path, prompts):
    sd = load_file(os.path.join(folder, "text_encoder", "model.safetensors"))
    encode = clip_text_reference.openai_text_encoder(clip_dir, cfg, sd)
    hidden = encode(ids)
    check = clip_text_reference.hf_semantics_forward(cfg, sd, ids)
    diff = (hidden - check).abs().max().item()
    assert diff < 1e-5, f"openai CLIP path and transformers-semantics path disagree by {diff}"
    print(f"clip: openai vs transformers semantics max |diff| {diff:.2e}; hidden std {hidden.std():.3f}")
    save_file({"input_ids": ids, "last_hidden_state": hidden.contiguous()}, path,
              metadata={"prompts": json.dumps(prompts), "source": "openai/CLIP model.py text tower (encode_text before the projection)"})
    return hidden


@torch.no_grad()
def unet_golden(folder, empty_prompt_hidden, path):
    unet = load_unet(folder)
    cfg = dict(unet.config)
    vpd, everything = vpd_taps(cfg), all_taps(cfg)
    gen = torch.Generator().manual_seed(7)
    tensors = {}
    # Case a: batch 2, per-sample timesteps 1 and 601, random text states; every tap.
    sample = torch.randn(2, 4, 16, 24, generator=gen)
    timestep = torch.tensor([1, 601], dtype=torch.int64)
    ehs = torch.randn(2, 77, cfg["cross_attention_dim"], generator=gen)
    store, handles = capture(unet, sorted(set(vpd + everything)))
    out = unet(sample, timestep, ehs).sample
    for h in handles:
        h.remove()
    tensors.update({"a.sample": sample, "a.timestep": timestep, "a.encoder_hidden_states": ehs, "a.out_sample": out})
    tensors.update({f"a.tap.{k}": v for k, v in store.items()})
    # Case b: the perception call of the official code — batch 1, t = 0, the empty prompt's embedding; vpd taps.
    sample_b = torch.randn(1, 4, 16, 24, generator=gen)
    timestep_b = torch.tensor([0], dtype=torch.int64)
    store_b, handles = capture(unet, vpd)
    out_b = unet(sample_b, timestep_b, empty_prompt_hidden).sample
    for h in handles:
        h.remove()
    tensors.update({"b.sample": sample_b, "b.timestep": timestep_b, "b.encoder_hidden_states": empty_prompt_hidden.contiguous(),
                    "b.out_sample": out_b})
    tensors.update({f"b.tap.{k}": v for k, v in store_b.items()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata={"source": "diffusers 0.25.0 UNet2DConditionModel"})
    print(f"unet: out std a {out.std():.3f} b {out_b.std():.3f}")
    latent = sample.shape[-2]

    def describe(names, st):
        return [{"module": n, "shape": list(st[n].shape[1:]), "stride": latent // st[n].shape[-2],
                 "group": GROUPS.get(latent // st[n].shape[-2])} for n in names]

    return {"latent_shape": list(sample.shape[1:]), "vpd": describe(vpd, store), "all": describe(everything, store)}


@torch.no_grad()
def vae_golden(folder, path):
    vae = load_vae(folder)
    gen = torch.Generator().manual_seed(11)
    image = torch.rand(1, 3, 48, 64, generator=gen) * 2 - 1
    dist = vae.encode(image).latent_dist
    sf = vae.config.scaling_factor
    latents = torch.randn(1, 4, 6, 8, generator=gen)
    decoded = vae.decode(latents / sf).sample
    save_file({"image": image, "latent_mean_scaled": (dist.mean * sf).contiguous(), "latent_std": dist.std.contiguous(),
               "moments": dist.parameters.contiguous(), "decode_latents_scaled": latents, "decoded": decoded.contiguous()},
              path, metadata={"source": "diffusers 0.25.0 AutoencoderKL", "scaling_factor": str(sf)})
    print(f"vae: scaling_factor {sf}; mean std {dist.mean.std():.3f}; decoded std {decoded.std():.3f}")


# ----------------------------------------------------------------------------------------------------------------
# ONNX export (diffusers/optimum layout).
# ----------------------------------------------------------------------------------------------------------------
class UNetExport(torch.nn.Module):
    def __init__(self, unet, taps=()):
        super().__init__()
        self.unet = unet
        self.taps = list(taps)

    def forward(self, sample, timestep, encoder_hidden_states):
        store, handles = capture(self.unet, self.taps)
        out = self.unet(sample, timestep, encoder_hidden_states).sample
        for h in handles:
            h.remove()
        return (out, *[store[t] for t in self.taps]) if self.taps else out


class TextExport(torch.nn.Module):
    def __init__(self, cfg, sd):
        super().__init__()
        self.cfg = cfg
        self.w = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v, requires_grad=False) for k, v in sd.items()})

    def forward(self, input_ids):
        sd = {k.replace("__", "."): v for k, v in self.w.items()}
        hidden = clip_text_reference.hf_semantics_forward(self.cfg, sd, input_ids.long())
        pooled = hidden[torch.arange(hidden.shape[0]), input_ids.long().argmax(-1)]
        return hidden, pooled


class VaeEncoderExport(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample).latent_dist.parameters


class VaeDecoderExport(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample).sample


def last_node_outputs(model, scopes):
    """For each module scope, the first output of the last node whose name lies in it (graph order)."""
    found = {}
    for node in model.graph.node:
        for scope, prefix in scopes.items():
            if node.name.startswith(prefix):
                found[scope] = (node.name, node.output[0])
    return found


def export_onnx(folder, dst, text_cfg, taps):
    import onnx

    unet, vae = load_unet(folder), load_vae(folder)
    for sub in ("unet", "vae_encoder", "vae_decoder", "text_encoder"):
        os.makedirs(os.path.join(dst, sub), exist_ok=True)
    shutil.copytree(os.path.join(folder, "tokenizer"), os.path.join(dst, "tokenizer"))
    shutil.copytree(os.path.join(folder, "scheduler"), os.path.join(dst, "scheduler"))
    for sub, src in (("unet", "unet"), ("vae_encoder", "vae"), ("vae_decoder", "vae"), ("text_encoder", "text_encoder")):
        shutil.copy(os.path.join(folder, src, "config.json"), os.path.join(dst, sub, "config.json"))
    with open(os.path.join(dst, "model_index.json"), "w") as f:
        json.dump({
            "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.25.0", "feature_extractor": [None, None],
            "requires_safety_checker": False, "safety_checker": [None, None], "scheduler": ["diffusers", "PNDMScheduler"],
            "text_encoder": ["diffusers", "OnnxRuntimeModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "OnnxRuntimeModel"], "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
            "vae_encoder": ["diffusers", "OnnxRuntimeModel"]}, f, indent=2)
        f.write("\n")

    sample = torch.randn(2, 4, 16, 24)
    timestep = torch.tensor([1, 601], dtype=torch.int64)
    ehs = torch.randn(2, 77, unet.config.cross_attention_dim)
    axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
            "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": {0: "batch", 2: "height", 3: "width"}}
    names = ["sample", "timestep", "encoder_hidden_states"]
    tmp = tempfile.mkdtemp()
    raw = os.path.join(tmp, "unet.onnx")
    torch.onnx.export(UNetExport(unet), (sample, timestep, ehs), raw, opset_version=17, input_names=names,
                      output_names=["out_sample"], dynamic_axes=axes, do_constant_folding=True)
    model = onnx.load(raw)
    # optimum stores UNet weights as external data beside model.onnx; do the same (tensors >= 1 KiB go out).
    onnx.save_model(model, os.path.join(dst, "unet", "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=1024)

    # The module-scope rule: a tap is the first output of the last node named "/<wrapper>/<module path with '/'>/...".
    tap_modules = sorted({t["module"] for t in taps["vpd"] + taps["all"]})
    scopes = {m: "/unet/" + "/".join(scope_parts(m)) + "/" for m in tap_modules}
    found = last_node_outputs(model, scopes)
    # Check the rule: export again with the hooked module outputs as extra graph outputs and compare producers.
    check = os.path.join(tmp, "unet-taps.onnx")
    torch.onnx.export(UNetExport(unet, tap_modules), (sample, timestep, ehs), check, opset_version=17, input_names=names,
                      output_names=["out_sample"] + [f"tap:{m}" for m in tap_modules], dynamic_axes=axes, do_constant_folding=True)
    m2 = onnx.load(check)
    producer = {o: n for n in m2.graph.node for o in n.output}
    by_output = {}
    for o in m2.graph.output[1:]:
        node = producer[o.name]
        while node.op_type == "Identity" and not node.name.startswith("/unet/"):
            node = producer[node.input[0]]  # a tensor returned twice (up_blocks.3 = its last attention) gets an Identity
        by_output[o.name[4:]] = node.name
    result = {}
    for m in tap_modules:
        node, tensor = found[m]
        assert by_output[m] == node, f"{m}: last node in scope is {node}, but the module output comes from {by_output[m]}"
        result[m] = {"node": node, "tensor": tensor}
    shutil.rmtree(tmp)

    text_sd = load_file(os.path.join(folder, "text_encoder", "model.safetensors"))
    ids = torch.zeros(2, 77, dtype=torch.int32)
    torch.onnx.export(TextExport(text_cfg, text_sd), (ids,), os.path.join(dst, "text_encoder", "model.onnx"), opset_version=17,
                      input_names=["input_ids"], output_names=["last_hidden_state", "pooler_output"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"},
                                    "pooler_output": {0: "batch"}})
    image = torch.randn(1, 3, 48, 64)
    torch.onnx.export(VaeEncoderExport(vae), (image,), os.path.join(dst, "vae_encoder", "model.onnx"), opset_version=17,
                      input_names=["sample"], output_names=["latent_parameters"],
                      dynamic_axes={"sample": {0: "batch", 2: "height", 3: "width"}, "latent_parameters": {0: "batch", 2: "height", 3: "width"}})
    lat = torch.randn(1, 4, 6, 8)
    torch.onnx.export(VaeDecoderExport(vae), (lat,), os.path.join(dst, "vae_decoder", "model.onnx"), opset_version=17,
                      input_names=["latent_sample"], output_names=["sample"],
                      dynamic_axes={"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
    print("onnx taps:", json.dumps(result, indent=1))
    return result


def scope_parts(module_path):
    """'up_blocks.0.resnets.1' -> ['up_blocks.0', 'resnets.1'] (torch.onnx names scopes by attribute.index pairs)."""
    parts, out = module_path.split("."), []
    i = 0
    while i < len(parts):
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            out.append(parts[i] + "." + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def state_dict_shapes(unet_kwargs, vae_kwargs):
    from diffusers import AutoencoderKL, UNet2DConditionModel

    with torch.no_grad():
        unet = UNet2DConditionModel(**unet_kwargs)
        u = [[k, list(v.shape)] for k, v in unet.state_dict().items()]
        del unet
        vae = AutoencoderKL(**vae_kwargs)
        v = [[k, list(t.shape)] for k, t in vae.state_dict().items()]
    return {"unet": u, "vae": v}


def config_defaults():
    """Every constructor argument of UNet2DConditionModel and AutoencoderKL (= the config.json keys) and its default."""
    import inspect

    from diffusers import AutoencoderKL, UNet2DConditionModel

    def plain(v):
        return [plain(x) for x in v] if isinstance(v, (tuple, list)) else v

    out = {}
    for key, cls in (("unet", UNet2DConditionModel), ("vae", AutoencoderKL)):
        params = inspect.signature(cls.__init__).parameters
        out[key] = {k: plain(p.default) for k, p in params.items() if k != "self"}
    return out
