"""Golden for the UNet on latents whose size is not a multiple of 2^upsamplers (diffusers' forward_upsample_size:
each upsampler resizes to the next skip's size), e.g. the 60x80 latents of a 480x640 NYUv2 image. Runs diffusers
v0.25.0 on the committed tiny fixture and writes src/fixtures/golden/unet-odd.safetensors (inputs, out_sample and
the vpd taps).

usage: PYTHONPATH=tools/python /usr/bin/python3 packages/backbone-sd/tools/golden_unet_odd.py \
           --diffusers /work/ref/diffusers-0.25.0 --hfhub /work/ref/hfhub-0.20.3
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "src", "fixtures")
VPD = ["up_blocks.0.resnets.1", "up_blocks.1.attentions.1", "up_blocks.2.attentions.1", "up_blocks.3"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diffusers", required=True)
    ap.add_argument("--hfhub", required=True)
    args = ap.parse_args()
    sys.path[:0] = [args.diffusers, args.hfhub]
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    torch.set_num_threads(2)
    # diffusers' AttnProcessor scores with torch.baddbmm(torch.empty(...), q, kT, beta=0, alpha=scale). torch 1.13's
    # CPU kernel for small matrices (here 2 tokens at the 1x2 level) computes beta * (uninitialised memory) + ..., so
    # NaN leaks in at random (it does in this case). Route beta = 0 to alpha * bmm, the documented semantics.
    baddbmm = torch.baddbmm

    def baddbmm_beta0(inp, b1, b2, *, beta=1, alpha=1):
        return alpha * torch.bmm(b1, b2) if beta == 0 else baddbmm(inp, b1, b2, beta=beta, alpha=alpha)

    torch.baddbmm = baddbmm_beta0
    unet = UNet2DConditionModel.from_pretrained(os.path.join(FIXTURES, "tiny-sd", "unet")).eval()
    gen = torch.Generator().manual_seed(21)
    sample = torch.randn(2, 4, 6, 10, generator=gen)
    timestep = torch.tensor([37, 601], dtype=torch.int64)
    ehs = torch.randn(2, 77, unet.config.cross_attention_dim, generator=gen)
    store, handles = {}, []
    modules = dict(unet.named_modules())
    for name in VPD:
        def hook(_m, _i, out, name=name):
            store[name] = out[0] if isinstance(out, tuple) else out
        handles.append(modules[name].register_forward_hook(hook))
    with torch.no_grad():
        out = unet(sample, timestep, ehs).sample
    for h in handles:
        h.remove()
    tensors = {"sample": sample, "timestep": timestep, "encoder_hidden_states": ehs, "out_sample": out}
    tensors.update({f"tap.{k}": v.contiguous() for k, v in store.items()})
    save_file(tensors, os.path.join(FIXTURES, "golden", "unet-odd.safetensors"),
              metadata={"source": "diffusers 0.25.0 UNet2DConditionModel, latent 6x10 (forward_upsample_size)"})
    print({k: list(v.shape) for k, v in tensors.items()})


if __name__ == "__main__":
    main()
