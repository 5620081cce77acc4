"""Parity golden for @diff2in1/graph training: a small CNN (conv, GroupNorm, GELU, bilinear upsample, skip concat)
trained 20 AdamW steps by torch 1.13 from fixed initial weights on fixed data.

Writes: init.* (initial state_dict), data.x / data.y ([BATCHES, N, C, H, W]; step s uses batch s % BATCHES),
loss ([steps]), final.* (state_dict after the last step), and the hyperparameters in the metadata.

usage: PYTHONPATH=tools/python /usr/bin/python3 tools/golden/graph/train_cnn.py packages/graph/src/fixtures/train-cnn.safetensors
"""
import sys

import torch
import torch.nn.functional as F
from torch import nn
from safetensors.torch import save_file

STEPS, BATCHES, LR, WD, BETAS = 20, 4, 3e-3, 0.01, (0.9, 0.999)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(3, 16, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, 16)
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.norm2 = nn.GroupNorm(8, 32)
        self.up_conv = nn.Conv2d(32, 16, 3, padding=1)
        self.fuse = nn.Conv2d(32, 16, 3, padding=1)
        self.norm3 = nn.GroupNorm(4, 16)
        self.head = nn.Conv2d(16, 3, 1)

    def forward(self, x):
        h1 = F.gelu(self.norm1(self.conv_in(x)))
        h2 = F.gelu(self.norm2(self.down(h1)))
        u = self.up_conv(F.interpolate(h2, scale_factor=2, mode="bilinear", align_corners=False))
        f = F.gelu(self.norm3(self.fuse(torch.cat([u, h1], 1))))
        return self.head(f)


def main(out):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = SmallCNN()
    init = {f"init.{k}": v.clone() for k, v in model.state_dict().items()}
    xs = torch.randn(BATCHES, 4, 3, 16, 16)
    # a smooth function of the input as the target, so the loss has something to learn
    ys = torch.tanh(xs.roll(1, dims=2) * 0.5 + xs.flip(2) * 0.3)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, weight_decay=WD)
    losses = []
    for s in range(STEPS):
        opt.zero_grad()
        loss = F.mse_loss(model(xs[s % BATCHES]), ys[s % BATCHES])
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    t = dict(init)
    t.update({f"final.{k}": v.detach().clone() for k, v in model.state_dict().items()})
    t.update({"data.x": xs, "data.y": ys, "loss": torch.stack(losses)})
    meta = {"torch": torch.__version__, "script": "tools/golden/graph/train_cnn.py", "steps": str(STEPS), "lr": repr(LR),
            "weight_decay": repr(WD), "betas": repr(BETAS)}
    save_file({k: v.contiguous() for k, v in t.items()}, out, metadata=meta)
    print("losses", [round(float(l), 5) for l in losses])


if __name__ == "__main__":
    main(sys.argv[1])
