"""PyTorch reference for @diff2in1/graph's train-step benchmark: the same decoder-sized head (4 conv stages
256→32 channels, 16×16 → 128×128, batch 4, GroupNorm + GELU, bilinear ×2 upsampling, 1×1 head, MSE, AdamW),
timed per training step on the CPU with a given thread count. Prints one JSON line.

usage: /usr/bin/python3 train_step_torch.py <threads> <warmup> <steps>
"""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

CHANNELS = [256, 128, 64, 32, 32]


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(a, b, 3, padding=1) for a, b in zip(CHANNELS[:-1], CHANNELS[1:])])
        self.norms = nn.ModuleList([nn.GroupNorm(8, b) for b in CHANNELS[1:]])
        self.out = nn.Conv2d(CHANNELS[-1], 3, 1)

    def forward(self, x):
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = F.gelu(norm(conv(x)))
            if i < 3:
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.out(x)


def main(threads, warmup, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Head()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(4, CHANNELS[0], 16, 16)
    y = torch.randn(4, 3, 128, 128)
    times, cpu = [], []
    for i in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        t1, c1 = time.perf_counter(), time.process_time()
        if i >= warmup:
            times.append((t1 - t0) * 1000)
            cpu.append((c1 - c0) * 1000)
    times.sort()
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "ms_per_step_median": times[len(times) // 2], "ms_per_step_min": times[0],
        "cpu_ms_per_step_mean": sum(cpu) / len(cpu),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "loss": float(loss),
    }))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
