#!/usr/bin/env python3
"""Golden files for @diff2in1/feature-pyramid (the official SNmodule adapter) and @diff2in1/head-bae (Bae et al.'s
Decoder, the UG_NLL_ours loss, gradients and one Adam step), produced by the official Diff-2-in-1 code itself.

Run (Debian's python3 has torch 1.13; our pure-Python safetensors shim comes first on the path):

  PYTHONPATH=/work/main/tools/python /usr/bin/python3 tools/golden/heads/make_golden.py \
      /work/.mirror/zsh2000+diff-2-in-1/repo [--commit HEAD] \
      --out-pyramid packages/feature-pyramid/src/fixtures --out-bae packages/head-bae/src/fixtures

The official repository (a git dir) is exported with `git archive` into a temporary folder and its modules
(ldm/models/sn_module.py, ldm/models/decoder.py, ldm/models/submodules.py, losses.py) are imported from there;
nothing of it is copied into this repository. Modules it imports but never uses here (black, einops,
torchvision) are replaced by empty stand-ins.

Small sizes. SNmodule and Decoder hard-code SD v1-5 channel counts and 512² sizes as literals in their
constructors / forwards. We shrink them by rewriting integer literals of the parsed source (ast) before
compiling it, with a per-method map (CHANNELS below); every rewrite is counted and checked, so an upstream change
fails loudly. The image is 64×64 (latent 8): the `all` tap groups are 1², 2², 4², 8² and the decoder outputs 8²,
16², 32², 64². Weights are torch's default init under a fixed seed; norm affines, running/stored statistics and
BatchNorm step counters are randomised so that every buffer matters.

Determinism of the training-mode forward (submodules.sample_points):
- `torch.randperm` is replaced, while the decoder runs, by one drawing from a seeded generator; each draw's first
  `num_coverage` entries (the positions, within the sorted "remaining" list, of the random 30%) are recorded
  as `train.perm_res{4,2,1}` so our graph can be fed the same ones.
- torch.sort's order among equal uncertainties is unspecified (CPU and CUDA differ, and it is not stable on the
  CPU). Invalid pixels all get -1e4, so ties are certain; we make Tensor.sort stable, which is ONNX TopK's rule
  (equal values: lower index first). That is one valid realisation of the upstream algorithm.
- The sampled pixel indices (rows·W + cols) are recorded as `train.samples_res{4,2,1}`.

Nearest-neighbour ground-truth lookups of the loss (grid_sample 'nearest', align_corners=True, at the sampled
points, in float64 for the normals and float32 for the mask) are recorded separately for several level/gt size
pairs (including exact .5 ties): `nearest.<h>x<w>to<H>x<W>.{f64,f32}` maps each level pixel to the gt pixel read.

Outputs (float32 unless noted; float64 for the loss, int64 for indices):
  head-bae/src/fixtures/official-golden.safetensors + official-golden.json
  feature-pyramid/src/fixtures/sn-module-golden.safetensors + sn-module-golden.json (the SNmodule subset)
"""
import argparse
import ast
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors.torch import save_file

FILES = ["ldm/models/sn_module.py", "ldm/models/decoder.py", "ldm/models/submodules.py", "losses.py"]
B = 2
IMAGE = 64
# SD v1-5 UNet channels (320, 640, 1280) → tiny ones; the groups' tensors keep the official composition.
SD = {1280: 10, 640: 6, 320: 4}
# SNmodule widths: low 2048, mid 176, high 64, highest 64 (made different from high: 10), up1 40, up2 24.
SN_INIT = {2048: 16, 176: 12, 40: 6, 24: 4, **SD}
SN_HIGH, SN_HIGHEST = 8, 10
# Spatial literals of SNmodule for a 512² image (16, 32, 64 and the forward's 128) → for a 64² image.
SN_SIZES = {16: 2, 32: 4, 64: 8, 128: 16}
# Decoder: inputs 2048/176/64/40/24 (must equal SNmodule's), widths 2048 (conv2 out) / 1024 / 512 / 256 / 128,
# MLP hidden 128 (kept distinct from the last width: 12 vs 8).
DEC_INIT = {2048: 16, 176: 12, 64: SN_HIGH, 40: 6, 24: 4, 1024: 24, 512: 16, 256: 8}
DEC_FEAT_128, DEC_HIDDEN_128 = 8, 12
DEC_FORWARD = {512: 16, 256: 8, 128: 8}
# SNmodule's unused transformer parts (they are in its state_dict): small constructor arguments.
SN_ARGS = dict(embedding_dim=8, num_heads=2, num_layers=1, hidden_dim=16)
# The `all` taps per group for SD (sn_module.py's channel sums): tensor channels, spatial size at a 64² image.
GROUPS = {
    "low": ([1280] * 6, 1),
    "mid": ([1280] * 5 + [640], 2),
    "high": ([1280] + [640] * 4 + [320], 4),
    "highest": ([640] + [320] * 6, 8),
}
NEAREST_PAIRS = [(16, 16, 64, 64), (32, 32, 64, 64), (64, 64, 64, 64), (3, 5, 12, 20), (6, 7, 11, 29), (5, 9, 20, 36), (2, 3, 7, 8)]


class IntRewriter(ast.NodeTransformer):
    """Rewrites integer literals inside chosen methods of one class, by a rule(value, parent) → new value | None."""

    def __init__(self, cls, rules):
        self.cls, self.rules, self.counts = cls, rules, {}
        self.method = None

    def visit_ClassDef(self, node):
        if node.name != self.cls:
            return node
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name in self.rules:
                self.method = item.name
                for n in ast.walk(item):
                    for c in ast.iter_child_nodes(n):
                        c._parent = n
                self.generic_visit(item)
                self.method = None
        return node

    def visit_Constant(self, node):
        if self.method is None or type(node.value) is not int:
            return node
        new = self.rules[self.method](node.value, getattr(node, "_parent", None), node)
        if new is None:
            return node
        key = (self.method, node.value)
        self.counts[key] = self.counts.get(key, 0) + 1
        return ast.copy_location(ast.Constant(new), node)


def sn_init_rule(v, parent, node):
    if v == 64:
        if isinstance(parent, ast.Assign) and any(getattr(t, "id", "") == "high_feature_channel" for t in parent.targets):
            return SN_HIGH
        return SN_HIGHEST
    return SN_INIT.get(v)


def dec_init_rule(v, parent, node):
    if v == 128:
        direct_conv1d_arg = isinstance(parent, ast.Call) and getattr(parent.func, "attr", "") == "Conv1d" and node in parent.args
        return DEC_HIDDEN_128 if direct_conv1d_arg else DEC_FEAT_128
    return DEC_INIT.get(v)


def load_patched(path, modname, cls, rules, expect):
    tree = ast.parse(open(path).read(), path)
    rw = IntRewriter(cls, rules)
    tree = rw.visit(tree)
    ast.fix_missing_locations(tree)
    seen = {k: v for k, v in rw.counts.items()}
    for key in expect:
        if key not in seen:
            raise SystemExit(f"{path}: expected to rewrite literal {key[1]} in {cls}.{key[0]}, found none (upstream changed?)")
    mod = types.ModuleType(modname)
    mod.__file__ = path
    sys.modules[modname] = mod
    exec(compile(tree, path, "exec"), mod.__dict__)
    return mod, seen


def stub_unused_imports():
    for name in ["black", "einops", "torchvision", "torchvision.transforms"]:
        sys.modules[name] = types.ModuleType(name)
    sys.modules["black"].diff = None
    sys.modules["einops"].rearrange = None
    sys.modules["torchvision.transforms"].InterpolationMode = types.SimpleNamespace(BICUBIC=3)
    sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]


def randomize_norms(module, gen):
    def u(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=gen) * (hi - lo) + lo)

    with torch.no_grad():
        for _, m in module.named_modules():
            if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.weight is not None:
                u(m.weight, 0.5, 1.5)
                u(m.bias, -0.3, 0.3)
            if isinstance(m, nn.BatchNorm2d):
                u(m.running_mean, -0.2, 0.2)
                u(m.running_var, 0.5, 2.0)
                m.num_batches_tracked.fill_(7)
            for i in (1, 2):
                if hasattr(m, f"stored_mean{i}"):
                    u(getattr(m, f"stored_mean{i}"), -0.2, 0.2)
                    u(getattr(m, f"stored_var{i}"), 0.5, 2.0)


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo", help="git dir of github.com/zsh2000/diff-2-in-1")
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--out-pyramid", default="packages/feature-pyramid/src/fixtures")
    ap.add_argument("--out-bae", default="packages/head-bae/src/fixtures")
    a = ap.parse_args()
    commit = subprocess.run(["git", "-C", a.repo, "rev-parse", a.commit], capture_output=True, check=True, text=True).stdout.strip()
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="d2i-heads-golden-")
    tar = subprocess.run(["git", "-C", a.repo, "archive", commit, *FILES], capture_output=True, check=True).stdout
    tarfile.open(fileobj=io.BytesIO(tar)).extractall(tmp)
    sys.path.insert(0, tmp)
    stub_unused_imports()
    import ldm.models.submodules as submodules  # noqa: E402  (unchanged upstream module)
    import losses  # noqa: E402

    snm, sn_counts = load_patched(
        os.path.join(tmp, "ldm/models/sn_module.py"), "ldm.models.sn_module", "SNmodule",
        {"__init__": sn_init_rule, "_prepare_features": lambda v, p, n: SN_SIZES.get(v), "forward": lambda v, p, n: SN_SIZES.get(v)},
        [("__init__", k) for k in [2048, 176, 64, 40, 24, 1280, 640, 320]] + [("_prepare_features", k) for k in [16, 32, 64]] + [("forward", 128)],
    )
    decm, dec_counts = load_patched(
        os.path.join(tmp, "ldm/models/decoder.py"), "ldm.models.decoder", "Decoder",
        {"__init__": dec_init_rule, "forward": lambda v, p, n: DEC_FORWARD.get(v)},
        [("__init__", k) for k in [2048, 176, 64, 40, 24, 1024, 512, 256, 128]] + [("forward", k) for k in [512, 256, 128]],
    )

    torch.manual_seed(0)
    sn = snm.SNmodule(**SN_ARGS)
    dec = decm.Decoder()
    gen = torch.Generator().manual_seed(1)
    randomize_norms(sn, gen)
    randomize_norms(dec, gen)
    sn_state0 = {k: v.detach().clone() for k, v in sn.state_dict().items()}
    dec_state0 = {k: v.detach().clone() for k, v in dec.state_dict().items()}

    feats = {g: [torch.randn(B, SD[c], r, r, generator=gen) for c in chans] for g, (chans, r) in GROUPS.items()}
    n = torch.randn(B, 3, IMAGE, IMAGE, generator=gen)
    gt = (n / n.norm(dim=1, keepdim=True)).to(torch.float32)
    mask = torch.rand(B, 1, IMAGE, IMAGE, generator=gen) > 0.15
    mask[0, :, 40:, 8:30] = False  # a large invalid region: its pixels tie at -1e4 in sample_points
    gt_double = gt.double()

    out = {}
    for g, ts in feats.items():
        out[f"in.{g}"] = torch.cat(ts, dim=1)
    out["in.gt_norm"] = gt
    out["in.gt_mask"] = mask.to(torch.uint8)

    # ---- test mode (eval modules, dense refinement)
    sn.eval()
    dec.eval()
    with torch.no_grad():
        pyr = sn(feats)
        outs, _, _ = dec(*pyr, gt_norm_mask=mask, mode="test")
    for i, t in enumerate(pyr):
        out[f"test.sn.out{i}"] = f32(t)
    for name, t in zip(["res8", "res4", "res2", "res1"], outs):
        out[f"test.bae.out_{name}"] = f32(t)

    # ---- train mode (batch statistics, SN power-iteration updates, sampled refinement)
    sn.train()
    dec.train()
    perm_gen = torch.Generator().manual_seed(2)
    perms, samples = [], []
    real_randperm, real_sort, real_sample_points = torch.randperm, torch.Tensor.sort, decm.sample_points

    def recording_sample_points(init_normal, gt_norm_mask, sampling_ratio, beta):
        Bn, _, H, W = init_normal.shape
        N = int(sampling_ratio * H * W)
        cover = N - int(beta * N)
        drawn = []

        def randperm(nn_, *args, **kw):
            p = real_randperm(nn_, generator=perm_gen)
            drawn.append(p[:cover].clone())
            return p

        torch.randperm = randperm
        try:
            coords, rows, cols = real_sample_points(init_normal, gt_norm_mask, sampling_ratio, beta)
        finally:
            torch.randperm = real_randperm
        perms.append(torch.stack(drawn))
        samples.append(rows * W + cols)
        return coords, rows, cols

    torch.Tensor.sort = lambda self, dim=-1, descending=False: torch.sort(self, dim=dim, descending=descending, stable=True)
    decm.sample_points = recording_sample_points
    try:
        pyr = sn(feats)
        norm_out_list, pred_list, coord_list = dec(*pyr, gt_norm_mask=mask, mode="train")
    finally:
        torch.Tensor.sort = real_sort
        decm.sample_points = real_sample_points
    loss_fn = losses.compute_loss("UG_NLL_ours")
    loss = loss_fn(pred_list, coord_list, gt_double, mask)
    terms = [float(loss_fn([p], [c], gt_double, mask)) for p, c in zip(pred_list, coord_list)]
    for i, t in enumerate(pyr):
        out[f"train.sn.out{i}"] = f32(t)
    for name, t in zip(["res8", "res4", "res2", "res1"], norm_out_list):
        out[f"train.bae.out_{name}"] = f32(t)
    for name, t in zip(["res4", "res2", "res1"], pred_list[1:]):
        out[f"train.bae.pred_{name}"] = f32(t)
    for name, p, s in zip(["res4", "res2", "res1"], perms, samples):
        out[f"train.perm_{name}"] = p.to(torch.int64)
        out[f"train.samples_{name}"] = s.to(torch.int64)
    out["train.loss"] = loss.detach().to(torch.float64).reshape(())
    out["train.loss_terms"] = torch.tensor(terms, dtype=torch.float64)
    loss.backward()
    no_grad = []
    for prefix, mod in (("sn", sn), ("bae", dec)):
        for k, p in mod.named_parameters():
            if p.grad is None:
                no_grad.append(f"{prefix}.{k}")
            else:
                out[f"grad.{prefix}.{k}"] = f32(p.grad)
        for k, v in mod.state_dict().items():
            if k not in dict(mod.named_parameters()):
                out[f"train.state.{prefix}.{k}"] = v.detach().clone() if v.dtype == torch.int64 else f32(v)

    # ---- one Adam step as training_1st_stage.py builds it (one group: SNmodule then Decoder parameters)
    opt = torch.optim.Adam([{"params": list(sn.parameters()) + list(dec.parameters())}], lr=0.000357)
    opt.step()
    for prefix, mod in (("sn", sn), ("bae", dec)):
        for k, p in mod.named_parameters():
            if p.grad is not None:
                out[f"adam.{prefix}.{k}"] = f32(p)

    for k, v in sn_state0.items():
        out[f"state.sn.{k}"] = v if v.dtype == torch.int64 else f32(v)
    for k, v in dec_state0.items():
        out[f"state.bae.{k}"] = v if v.dtype == torch.int64 else f32(v)

    # ---- nearest gt lookups of the loss at the sampled points (all pixels of a level, in random order)
    for h, w, gh, gw in NEAREST_PAIRS:
        init = torch.randn(1, 4, h, w, generator=gen)
        coords, rows, cols = submodules.sample_points(init, None, sampling_ratio=1.0, beta=0.0)
        idx = torch.arange(gh * gw, dtype=torch.float64).reshape(1, 1, gh, gw)
        # the two lookups of losses.compute_loss.forward_UG: normals with a float64 grid, the mask with float32
        g64 = F.grid_sample(idx, coords.double(), mode="nearest", align_corners=True)[0, 0, 0]
        g32 = F.grid_sample(idx.float(), coords.float(), mode="nearest", align_corners=True)[0, 0, 0]
        order = (rows[0] * w + cols[0]).argsort()
        out[f"nearest.{h}x{w}to{gh}x{gw}.f64"] = g64[order].round().to(torch.int64)
        out[f"nearest.{h}x{w}to{gh}x{gw}.f32"] = g32[order].round().to(torch.int64)

    meta = {
        "source": f"github.com/zsh2000/diff-2-in-1 @ {commit}",
        "torch": torch.__version__,
        "batch": B,
        "image": IMAGE,
        "groups": {g: {"tensors": [SD[c] for c in chans], "size": r} for g, (chans, r) in GROUPS.items()},
        "sn_channels": {"low": SN_INIT[2048], "mid": SN_INIT[176], "high": SN_HIGH, "highest": SN_HIGHEST, "up1": SN_INIT[40], "up2": SN_INIT[24]},
        "sn_args": SN_ARGS,
        "decoder": {"d0": DEC_INIT[2048], "d1": DEC_INIT[1024], "d2": DEC_INIT[512], "d3": DEC_INIT[256], "d4": DEC_FEAT_128, "hidden": DEC_HIDDEN_128},
        "sampling_ratio": 0.4,
        "importance_ratio": 0.7,
        "adam": {"lr": 0.000357, "betas": [0.9, 0.999], "eps": 1e-8},
        "loss": float(loss),
        "loss_terms": terms,
        "no_grad_parameters": no_grad,
        "nearest_pairs": NEAREST_PAIRS,
        "rewrites": {f"{m}:{v}": c for (m, v), c in sorted({**{("SNmodule." + k[0], k[1]): c for k, c in sn_counts.items()}, **{("Decoder." + k[0], k[1]): c for k, c in dec_counts.items()}}.items())},
    }
    os.makedirs(a.out_bae, exist_ok=True)
    os.makedirs(a.out_pyramid, exist_ok=True)
    save_file(out, os.path.join(a.out_bae, "official-golden.safetensors"), {"source": meta["source"]})
    json.dump(meta, open(os.path.join(a.out_bae, "official-golden.json"), "w"), indent=1)
    keep = lambda k: k.startswith(("in.low", "in.mid", "in.high", "state.sn.", "test.sn.", "train.sn.", "train.state.sn."))
    save_file({k: v for k, v in out.items() if keep(k)}, os.path.join(a.out_pyramid, "sn-module-golden.safetensors"), {"source": meta["source"]})
    json.dump({k: meta[k] for k in ["source", "torch", "batch", "image", "groups", "sn_channels", "sn_args", "rewrites"]},
              open(os.path.join(a.out_pyramid, "sn-module-golden.json"), "w"), indent=1)
    print(f"loss {float(loss):.8f} terms {terms}; {len(out)} tensors; no grad: {len(no_grad)} parameters")


if __name__ == "__main__":
    main()
