"""PyTorch reference for @diff2in1/backbone-sd's UNet benchmark: diffusers v0.25.0 UNet2DConditionModel on the
CPU in float32, run by src/bench/unet.ts in the same script run and on the same weights.

usage (Debian's /usr/bin/python3 with torch; PYTHONPATH=tools/python:<diffusers>:<huggingface_hub>):
  unet_torch.py write <dir>
      random weights (PyTorch's default initialisers, seed 0) for the config in <dir>/unet/config.json, streamed to
      <dir>/unet/diffusion_pytorch_model.safetensors (names = diffusers' state_dict keys)
  unet_torch.py serve <dir> <inputs.safetensors> <out.safetensors> <threads>
      loads the weights tensor by tensor (no second full copy) and prints a JSON "ready" line; then each stdin line
      "run" times one forward under no_grad (one JSON line back) and "quit" writes out_sample and prints the peak RSS
      after loading and during the forwards (the kernel's high-water mark, reset after loading) and versions.
      The driver alternates these forwards with its own, so both see the same machine load.
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch


def vm_hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def config_of(folder):
    with open(os.path.join(folder, "unet", "config.json")) as f:
        cfg = json.load(f)
    return {k: v for k, v in cfg.items() if not k.startswith("_")}


def write(folder):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    with torch.no_grad():
        unet = UNet2DConditionModel(**config_of(folder))
    sd = unet.state_dict()
    names = sorted(sd)
    header, off = {}, 0
    for n in names:
        t = sd[n]
        size = t.numel() * t.element_size()
        header[n] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + size]}
        off += size
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    path = os.path.join(folder, "unet", "diffusion_pytorch_model.safetensors")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for n in names:
            f.write(sd[n].contiguous().numpy().tobytes())
    os.replace(tmp, path)
    print(json.dumps({"written": path, "bytes": off, "tensors": len(names)}))


def no_init():
    """Skip the default initialisers while constructing (every parameter is overwritten from the file)."""
    keep = lambda t, *a, **k: t  # noqa: E731
    for name in ("kaiming_uniform_", "uniform_", "normal_", "xavier_uniform_", "zeros_", "ones_", "constant_", "trunc_normal_"):
        setattr(torch.nn.init, name, keep)


def load_weights(unet, path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    base = 8 + n
    state = unet.state_dict()
    missing = set(state) - set(header)
    if missing:
        raise SystemExit(f"weights lack {sorted(missing)[:5]}")
    with torch.no_grad():
        for name, p in state.items():
            a, b = header[name]["data_offsets"]
            arr = np.frombuffer(mm, dtype=np.float32, count=(b - a) // 4, offset=base + a).reshape(header[name]["shape"])
            p.copy_(torch.from_numpy(arr))
    del mm


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(folder, inputs, out, threads):
    from diffusers import UNet2DConditionModel
    from safetensors.torch import load_file, save_file

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    no_init()
    unet = UNet2DConditionModel(**config_of(folder)).eval()
    load_weights(unet, os.path.join(folder, "unet", "diffusion_pytorch_model.safetensors"))
    load_s = time.perf_counter() - t0
    rss_load = vm_hwm_kb()
    reset = reset_hwm()
    x = load_file(inputs)
    sample, t, ctx = x["sample"], x["timestep"], x["encoder_hidden_states"]
    emit({"ready": True, "load_seconds": load_s})
    y = None
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "run":
            with torch.no_grad():
                s = time.perf_counter()
                y = unet(sample, t, ctx).sample
                emit({"seconds": time.perf_counter() - s})
        elif cmd == "quit":
            break
    rss_fwd = vm_hwm_kb()
    if y is not None:
        save_file({"out_sample": y.contiguous()}, out)
    emit({
        "load_seconds": load_s, "peak_rss_after_load_kb": rss_load, "peak_rss_forward_kb": rss_fwd if reset else None,
        "hwm_reset": reset, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "attention_processor": type(unet.attn_processors[next(iter(unet.attn_processors))]).__name__,
        "mkldnn": torch.backends.mkldnn.is_available(),
    })


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        serve(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
