#!/usr/bin/env python3
"""Golden files for @diff2in1/schedulers, produced by diffusers v0.25.0's own scheduler code.

Run (Debian's python3 has torch 1.13; diffusers and huggingface_hub come from the extracted sources):

  PYTHONPATH=/work/main/tools/python:/work/ref/diffusers-0.25.0:/work/ref/hfhub-0.20.3 /usr/bin/python3 \
      tools/golden/schedulers/make_golden.py --out packages/schedulers/src/fixtures \
      [--official-repo /work/.mirror/zsh2000+diff-2-in-1/repo]

The official Diff-2-in-1 repository (a git dir) provides the CompVis-LDM DDIM sampler that the paper's data
creation used; its `ldm/models/diffusion/ddim.py` and the helpers it imports from
`ldm/modules/diffusionmodules/util.py` are loaded from that git dir at run time (nothing is copied into this
repository) and run on the CPU with a tiny deterministic stand-in for the UNet.

Every float is written as the shortest decimal that round-trips its float32 value, so a reader recovers the
exact float32 with Math.fround. Nothing here is needed by CI: the JSON outputs are committed as fixtures.
"""
import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import types
from types import SimpleNamespace

import numpy as np
import torch

import diffusers
from diffusers import DDIMScheduler, DDPMScheduler, PNDMScheduler

assert diffusers.__version__ == "0.25.0", diffusers.__version__
torch.set_num_threads(1)

# scheduler/scheduler_config.json of runwayml/stable-diffusion-v1-5 (revision of Oct 2022, diffusers 0.6.0).
SD15 = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}

SHAPE = (2, 4, 4, 4)


def f32(x):
    """Shortest decimal of a float32 (numpy's repr), as a JSON number."""
    v = np.float32(x)
    if not np.isfinite(v):
        return repr(float(v))  # 'inf' / 'nan' as a string; none are expected
    return float(repr(v))


def f32list(t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return [f32(v) for v in a.astype(np.float32).reshape(-1)]


def ints(t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return [int(v) for v in a.reshape(-1)]


def img2img_get_timesteps():
    """StableDiffusionImg2ImgPipeline.get_timesteps, taken from diffusers' own source file: the pipeline module
    imports transformers (absent here), so the one method is compiled on its own, unchanged."""
    import diffusers.pipelines as pipes
    path = os.path.join(os.path.dirname(pipes.__file__), "stable_diffusion", "pipeline_stable_diffusion_img2img.py")
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "StableDiffusionImg2ImgPipeline":
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "get_timesteps":
                    scope = {}
                    exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), scope)
                    return scope["get_timesteps"]
    raise RuntimeError(f"get_timesteps not found in {path}")


def randn(seed, shape=SHAPE):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)


def fake_eps(x, t):
    """Deterministic stand-in for the UNet: eps = 0.5 x + (0.001 t - 0.3), every op in float32
    (the python scalar is rounded to float32 by torch before the add)."""
    return x * 0.5 + (float(t) * 0.001 - 0.3)


def write(out, name, obj):
    path = os.path.join(out, name)
    with open(path, "w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
        fh.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


# --------------------------------------------------------------------------------------------- timesteps
def timesteps_cases():
    cases = []
    classes = {
        "DDIMScheduler": lambda **k: DDIMScheduler(**k),
        "DDPMScheduler": lambda **k: DDPMScheduler(**k),
        "PNDMScheduler": lambda **k: PNDMScheduler(skip_prk_steps=True, **k),
        "PNDMScheduler/prk": lambda **k: PNDMScheduler(skip_prk_steps=False, **k),
    }
    for cls_name, make in classes.items():
        for spacing in ["leading", "trailing", "linspace"]:
            for offset in [0, 1]:
                if spacing != "leading" and offset == 1:
                    continue  # steps_offset only affects 'leading' (checked once below)
                for n in [1, 3, 7, 10, 33, 50, 64]:
                    if cls_name == "PNDMScheduler/prk" and n < 4:
                        continue  # PRK needs at least pndm_order=4 timesteps
                    s = make(num_train_timesteps=1000, timestep_spacing=spacing, steps_offset=offset)
                    s.set_timesteps(n)
                    cases.append({"class": cls_name, "config": {"timestep_spacing": spacing, "steps_offset": offset,
                                                                "num_train_timesteps": 1000},
                                  "n": n, "timesteps": ints(s.timesteps)})
    # steps_offset is ignored by trailing/linspace; odd train counts; a long trailing list (float arange)
    extra = [("DDIMScheduler", "trailing", 1, 1000, 10), ("DDIMScheduler", "linspace", 3, 1000, 10),
             ("DDIMScheduler", "leading", 0, 999, 7), ("DDIMScheduler", "trailing", 0, 999, 7),
             ("DDIMScheduler", "linspace", 0, 999, 7), ("DDIMScheduler", "trailing", 0, 1000, 999),
             ("DDIMScheduler", "trailing", 0, 1000, 300), ("DDIMScheduler", "leading", 1, 1000, 1000),
             ("PNDMScheduler", "trailing", 0, 999, 13), ("PNDMScheduler", "linspace", 0, 777, 13),
             ("PNDMScheduler/prk", "trailing", 0, 1000, 12), ("PNDMScheduler/prk", "linspace", 0, 1000, 12),
             ("DDPMScheduler", "trailing", 0, 1000, 300)]
    for cls_name, spacing, offset, T, n in extra:
        s = classes[cls_name](num_train_timesteps=T, timestep_spacing=spacing, steps_offset=offset)
        s.set_timesteps(n)
        cases.append({"class": cls_name, "config": {"timestep_spacing": spacing, "steps_offset": offset,
                                                    "num_train_timesteps": T},
                      "n": n, "timesteps": ints(s.timesteps)})
    return cases


# --------------------------------------------------------------------------------------------- betas
def betas_cases():
    cases = []
    specs = [
        {"beta_schedule": "linear"},
        {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012},
        {"beta_schedule": "squaredcos_cap_v2"},
        {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "rescale_betas_zero_snr": True},
        {"beta_schedule": "linear", "beta_start": 0.001, "beta_end": 0.2, "num_train_timesteps": 37},
        {"beta_schedule": "scaled_linear", "beta_start": 0.0001, "beta_end": 0.03, "num_train_timesteps": 15},
        {"trained_betas": [0.01, 0.02, 0.05, 0.1, 0.3, 0.123456789], "num_train_timesteps": 6},
    ]
    for spec in specs:
        s = DDIMScheduler(**spec)
        cases.append({"config": spec, "betas": f32list(s.betas), "alphas_cumprod": f32list(s.alphas_cumprod)})
    return cases


# --------------------------------------------------------------------------------------------- single steps
def ddim_step_cases(inputs):
    sample, model_output, noise = inputs["sample"], inputs["model_output"], inputs["noise"]
    base = dict(SD15)
    base.pop("skip_prk_steps")
    cases = []

    def case(name, config, n, t, eta=0.0, use_clipped=False, mo=model_output):
        s = DDIMScheduler.from_config({**base, "_class_name": "DDIMScheduler", **config})
        s.set_timesteps(n)
        kw = {"eta": eta, "use_clipped_model_output": use_clipped}
        if eta > 0:
            kw["variance_noise"] = noise
        out = s.step(mo, t, sample, **kw)
        cases.append({"name": name, "config": config, "n": n, "t": int(t), "eta": eta,
                      "use_clipped_model_output": use_clipped,
                      # the shared inputs unless this case uses its own model output
                      "model_output": None if mo is model_output else f32list(mo),
                      "prev_sample": f32list(out.prev_sample),
                      "pred_original_sample": f32list(out.pred_original_sample)})

    for pt in ["epsilon", "v_prediction", "sample"]:
        for t in [981, 501, 1]:
            case(f"{pt}-t{t}", {"prediction_type": pt}, 50, t)
        case(f"{pt}-t501-eta0.37", {"prediction_type": pt}, 50, 501, eta=0.37)
    case("eps-eta1-t21", {}, 50, 21, eta=1.0)
    case("eps-eta0.37-last", {}, 50, 1, eta=0.37)
    case("clip-1", {"clip_sample": True}, 50, 981)
    case("clip-0.5-v", {"clip_sample": True, "clip_sample_range": 0.5, "prediction_type": "v_prediction"}, 50, 701)
    case("clip-use-clipped", {"clip_sample": True}, 50, 981, eta=0.37, use_clipped=True)
    case("set-alpha-to-one", {"set_alpha_to_one": True}, 50, 1)
    case("set-alpha-to-one-off0", {"set_alpha_to_one": True, "steps_offset": 0}, 50, 0)
    case("trailing-odd-n", {"timestep_spacing": "trailing", "steps_offset": 0}, 7, 856)
    case("linear-betas-n13", {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}, 13, 700)
    case("cosine", {"beta_schedule": "squaredcos_cap_v2"}, 20, 951, eta=0.5)
    case("zero-snr-v-t999", {"rescale_betas_zero_snr": True, "prediction_type": "v_prediction",
                             "timestep_spacing": "trailing"}, 10, 999)
    case("threshold", {"thresholding": True, "dynamic_thresholding_ratio": 0.9, "sample_max_value": 2.5}, 50, 981)
    case("threshold-sample-pred", {"thresholding": True, "prediction_type": "sample", "sample_max_value": 1.5,
                                   "dynamic_thresholding_ratio": 0.7}, 50, 501,
         mo=sample * 1.7)
    return cases


def ddpm_cases(inputs):
    sample, model_output, noise = inputs["sample"], inputs["model_output"], inputs["noise"]
    cases = []
    for t in [0, 1, 250, 600, 999]:
        s = DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012)
        cases.append({"kind": "add_noise", "t": t, "config": {"beta_schedule": "scaled_linear",
                                                               "beta_start": 0.00085, "beta_end": 0.012},
                      "noisy": f32list(s.add_noise(sample, noise, torch.tensor([t])))})
    noises = {}
    for vt in ["fixed_small", "fixed_large", "fixed_small_log"]:
        for pt in ["epsilon", "v_prediction", "sample"]:
            for (n, t) in [(None, 500), (None, 0), (50, 981), (50, 1), (7, 430)]:
                cfg = {"variance_type": vt, "prediction_type": pt, "clip_sample": pt != "epsilon"}
                if pt != "epsilon" and vt != "fixed_small":
                    continue
                s = DDPMScheduler(**cfg)
                if n is not None:
                    s.set_timesteps(n)
                seed = 1000 + t
                out = s.step(model_output, t, sample, generator=torch.Generator().manual_seed(seed))
                # randn_tensor with a CPU generator draws exactly torch.randn(shape, generator)
                if t > 0:
                    noises[str(seed)] = f32list(randn(seed, tuple(model_output.shape)))
                cases.append({"kind": "step", "config": cfg, "n": n, "t": t,
                              "noise_seed": str(seed) if t > 0 else None,
                              "prev_sample": f32list(out.prev_sample),
                              "pred_original_sample": f32list(out.pred_original_sample)})
    return cases, noises


# --------------------------------------------------------------------------------------------- sequences
def pndm_sequences(inputs):
    """Closed loops: the model output at each step is fake_eps(current sample, t), so the PLMS history
    (ets, the repeated second timestep, PRK's four-stage averaging) all matter for every later step."""
    seqs = []
    specs = [
        ("sd15-plms-n10", dict(SD15), 10),
        ("sd15-plms-n7-v", {**SD15, "prediction_type": "v_prediction"}, 7),
        ("prk-n10", {**SD15, "skip_prk_steps": False}, 10),
        ("prk-linear-trailing-n6", {"_class_name": "PNDMScheduler", "skip_prk_steps": False,
                                    "timestep_spacing": "trailing", "set_alpha_to_one": True}, 6),
    ]
    for name, cfg, n in specs:
        s = PNDMScheduler.from_config(cfg)
        s.set_timesteps(n)
        x = inputs["sample"].clone()
        steps = []
        for t in s.timesteps:
            eps = fake_eps(x, int(t))
            x = s.step(eps, t, x).prev_sample
            steps.append(f32list(x))
        seqs.append({"name": name, "config": {k: v for k, v in cfg.items() if k != "_diffusers_version"}, "n": n,
                     "timesteps": ints(s.timesteps), "samples": steps})
    return seqs


def img2img_cases(inputs):
    get_timesteps = img2img_get_timesteps()
    cases = []
    for cls_name in ["DDIMScheduler", "PNDMScheduler"]:
        for n in [50, 25, 7]:
            for strength in [0.0, 0.05, 0.3, 0.5, 0.6, 0.75, 0.99, 1.0]:
                s = (DDIMScheduler if cls_name == "DDIMScheduler" else PNDMScheduler).from_config(SD15)
                s.set_timesteps(n)
                ts, effective = get_timesteps(SimpleNamespace(scheduler=s), n, strength, "cpu")
                cases.append({"class": cls_name, "n": n, "strength": strength, "timesteps": ints(ts),
                              "num_inference_steps": int(effective)})
    return cases


def img2img_loops(inputs):
    """The img2img pipeline's latent loop (prepare_latents' add_noise at timesteps[:1], then step per
    timestep) with the fake UNet and no guidance."""
    get_timesteps = img2img_get_timesteps()
    loops = []
    for cls, n, strength, eta in [(DDIMScheduler, 50, 0.6, 0.0), (PNDMScheduler, 20, 0.6, 0.0),
                                  (DDIMScheduler, 10, 1.0, 0.0), (PNDMScheduler, 15, 0.75, 0.0)]:
        s = cls.from_config(SD15)
        s.set_timesteps(n)
        ts, _ = get_timesteps(SimpleNamespace(scheduler=s), n, strength, "cpu")
        x0, noise = inputs["sample"], inputs["noise"]
        latents = s.add_noise(x0, noise, ts[:1])
        noisy = f32list(latents)
        for t in ts:
            model_in = s.scale_model_input(latents, t)
            latents = s.step(fake_eps(model_in, int(t)), t, latents).prev_sample
        loops.append({"class": cls.__name__, "n": n, "strength": strength, "timesteps": ints(ts),
                      "noisy": noisy, "final": f32list(latents)})
    return loops


# --------------------------------------------------------------------------------------------- official code
def git_show(repo, path):
    return subprocess.run(["git", "-C", repo, "show", f"HEAD:{path}"], check=True, capture_output=True,
                          text=True).stdout


def load_official(repo):
    """Imports the official ldm DDIM sampler and its util helpers from the git dir, stubbing the heavy
    imports they do not use on this path (einops, ldm.util)."""
    tmp = tempfile.mkdtemp(prefix="d2i-official-")
    for rel in ["ldm/models/diffusion/ddim.py", "ldm/modules/diffusionmodules/util.py"]:
        dst = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w") as fh:
            fh.write(git_show(repo, rel))
    for pkg in ["ldm", "ldm/models", "ldm/models/diffusion", "ldm/modules", "ldm/modules/diffusionmodules"]:
        open(os.path.join(tmp, pkg, "__init__.py"), "w").close()
    sys.modules.setdefault("einops", types.SimpleNamespace(repeat=None, rearrange=None))
    sys.modules["ldm.util"] = types.SimpleNamespace(instantiate_from_config=None)
    sys.path.insert(0, tmp)
    import ldm.models.diffusion.ddim as ddim_mod  # noqa: E402
    import ldm.modules.diffusionmodules.util as util_mod  # noqa: E402
    return ddim_mod, util_mod


def official_cases(repo, inputs):
    ddim_mod, util = load_official(repo)
    # configs/stable-diffusion/v1-inference.yaml: linear_start 0.00085, linear_end 0.012, timesteps 1000,
    # beta_schedule 'linear' (LatentDiffusion default) -> make_beta_schedule in float64.
    betas = util.make_beta_schedule("linear", 1000, linear_start=0.00085, linear_end=0.012)
    # ddpm.py DDPM.register_schedule: alphas_cumprod = np.cumprod(1 - betas) (float64), buffers via
    # torch.tensor(..., dtype=torch.float32); q_sample uses sqrt(alphas_cumprod) taken in float64.
    alphas_cumprod64 = np.cumprod(1.0 - betas, axis=0)
    to_torch = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731

    class FakeLDM:
        num_timesteps = 1000
        device = torch.device("cpu")

        def __init__(self):
            self.betas = to_torch(betas)
            self.alphas_cumprod = to_torch(alphas_cumprod64)
            self.alphas_cumprod_prev = to_torch(np.append(1.0, alphas_cumprod64[:-1]))
            self.sqrt_alphas_cumprod = to_torch(np.sqrt(alphas_cumprod64))
            self.sqrt_one_minus_alphas_cumprod = to_torch(np.sqrt(1.0 - alphas_cumprod64))
            self.calls = []

        def q_sample(self, x_start, t, noise):
            # ddpm.py q_sample with extract_into_tensor
            return (util.extract_into_tensor(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start +
                    util.extract_into_tensor(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)

        def apply_model(self, x, t, c, class_token_index=None):
            self.calls.append(int(t[0]))
            return fake_eps(x, int(t[0])), None

    class CpuSampler(ddim_mod.DDIMSampler):
        def register_buffer(self, name, attr):  # the original moves every buffer to CUDA
            setattr(self, name, attr)

    cases = []
    z = inputs["sample"][:1]
    noise = inputs["noise"][:1]
    for T, steps in [(600, 50), (300, 50), (800, 50), (600, 25)]:
        model = FakeLDM()
        sampler = CpuSampler(model)
        # data_creation.py: t = ones(B).long() * 600; x_noisy = q_sample(z, t, noise);
        # sampler.sample(S=ddim_steps, ..., eta=0, x_T=x_noisy, ddpm_num_steps=t)  (batch size 1)
        t = torch.ones((1,)).long() * T
        x_noisy = model.q_sample(z, t, noise)
        samples, _, _ = sampler.sample(S=steps, conditioning=None, batch_size=1, shape=list(z.shape[1:]),
                                       verbose=False, unconditional_guidance_scale=1.0,
                                       unconditional_conditioning=None, eta=0.0, x_T=x_noisy,
                                       ddpm_num_steps=t)
        cases.append({"T": T, "ddim_steps": steps, "ddim_timesteps": ints(sampler.ddim_timesteps),
                      "unet_timesteps": model.calls, "x_noisy": f32list(x_noisy), "final": f32list(samples)})
    return {"ldm_alphas_cumprod": f32list(to_torch(alphas_cumprod64)),
            "ldm_sqrt_alphas_cumprod_600": f32(np.sqrt(alphas_cumprod64[600])),
            "cases": cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--official-repo", default="/work/.mirror/zsh2000+diff-2-in-1/repo")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    inputs = {"sample": randn(0), "model_output": randn(1), "noise": randn(2)}
    meta = {"generator": "tools/golden/schedulers/make_golden.py", "diffusers": diffusers.__version__,
            "torch": torch.__version__, "shape": list(SHAPE)}
    write(args.out, "inputs.json", {"meta": meta, **{k: f32list(v) for k, v in inputs.items()}})
    write(args.out, "timesteps.json", {"meta": meta, "cases": timesteps_cases()})
    write(args.out, "betas.json", {"meta": meta, "cases": betas_cases()})
    write(args.out, "ddim-steps.json", {"meta": meta, "sd15": SD15, "cases": ddim_step_cases(inputs)})
    ddpm, noises = ddpm_cases(inputs)
    write(args.out, "ddpm.json", {"meta": meta, "variance_noise": noises, "cases": ddpm})
    write(args.out, "pndm-sequences.json", {"meta": meta, "cases": pndm_sequences(inputs)})
    write(args.out, "img2img.json", {"meta": meta, "sd15": SD15, "get_timesteps": img2img_cases(inputs),
                                     "loops": img2img_loops(inputs)})
    write(args.out, "official.json", {"meta": meta, **official_cases(args.official_repo, inputs)})


if __name__ == "__main__":
    main()
