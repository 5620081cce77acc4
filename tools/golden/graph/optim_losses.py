"""Golden values for @diff2in1/graph's optimizers and losses, from torch 1.13.

Optimizers: a linear least-squares model trained 5 steps by each torch.optim configuration below; the
parameters after every step and the losses are recorded. Losses: value and autograd gradient of each loss on
fixed inputs (the angular vMF loss is written exactly as Bae et al.'s utils/losses.py computes 'NLL_ours').

usage: PYTHONPATH=tools/python /usr/bin/python3 tools/golden/graph/optim_losses.py packages/graph/src/fixtures/optim-losses.safetensors
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(1)
X = torch.randn(6, 3)
T = torch.randn(6, 4)
W0 = torch.randn(4, 3) * 0.5
B0 = torch.randn(4) * 0.5

CONFIGS = {
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.1), None),
    "sgd_momentum": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1), None),
    "sgd_nesterov": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01), None),
    "adam": (lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01), None),
    "adamw": (lambda p: torch.optim.AdamW(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.05), None),
    "adamw_clip": (lambda p: torch.optim.AdamW(p, lr=0.02), 0.5),
}


def run_optim(make, clip):
    w = W0.clone().requires_grad_()
    b = B0.clone().requires_grad_()
    opt = make([w, b])
    ws, bs, losses = [], [], []
    for _ in range(5):
        opt.zero_grad()
        loss = F.mse_loss(X @ w.T + b, T)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([w, b], clip)
        opt.step()
        ws.append(w.detach().clone())
        bs.append(b.detach().clone())
        losses.append(loss.detach().clone())
    return torch.stack(ws), torch.stack(bs), torch.stack(losses)


def bae_nll_ours(norm_out, gt_norm, gt_norm_mask):
    # utils/losses.py, compute_loss.forward_R, loss_type == 'NLL_ours'
    pred_norm, pred_kappa = norm_out[:, 0:3, :, :], norm_out[:, 3:, :, :]
    dot = torch.cosine_similarity(pred_norm, gt_norm, dim=1)
    valid_mask = gt_norm_mask[:, 0, :, :].float() * (dot.detach() < 0.999).float() * (dot.detach() > -0.999).float()
    valid_mask = valid_mask > 0.0
    dot = dot[valid_mask]
    kappa = pred_kappa[:, 0, :, :][valid_mask]
    loss_pixelwise = -torch.log(torch.square(kappa) + 1) + kappa * torch.acos(dot) + torch.log(1 + torch.exp(-kappa * np.pi))
    return torch.mean(loss_pixelwise)


def bae_nll_vmf(norm_out, gt_norm, gt_norm_mask):
    pred_norm, pred_kappa = norm_out[:, 0:3, :, :], norm_out[:, 3:, :, :]
    dot = torch.cosine_similarity(pred_norm, gt_norm, dim=1)
    valid_mask = gt_norm_mask[:, 0, :, :].float() * (dot.detach() < 0.999).float() * (dot.detach() > -0.999).float()
    valid_mask = valid_mask > 0.0
    dot = dot[valid_mask]
    kappa = pred_kappa[:, 0, :, :][valid_mask]
    loss_pixelwise = -torch.log(kappa) - (kappa * (dot - 1)) + torch.log(1 - torch.exp(-2 * kappa))
    return torch.mean(loss_pixelwise)


def silog(pred, target, mask, lambd=0.5):
    # VPD's SiLogLoss: sqrt(mean(d^2) - lambda * mean(d)^2) over valid pixels
    valid = mask > 0
    d = torch.log(pred[valid]) - torch.log(target[valid])
    return torch.sqrt((d ** 2).mean() - lambd * d.mean() ** 2)


def main(out):
    t = {"in.x": X, "in.t": T, "in.w0": W0, "in.b0": B0}
    for name, (make, clip) in CONFIGS.items():
        w, b, l = run_optim(make, clip)
        t[f"{name}.w"], t[f"{name}.b"], t[f"{name}.loss"] = w, b, l

    pred = torch.randn(2, 3, 4, 5)
    target = torch.randn(2, 3, 4, 5)
    mask = (torch.rand(2, 1, 4, 5) > 0.3).float()
    logits = torch.randn(2, 5, 3, 4)
    labels = torch.randint(0, 5, (2, 3, 4))
    labels[0, 0, :2] = 255
    cw = torch.rand(5) + 0.5
    normals = torch.randn(2, 3, 4, 5)
    normals[0, :, 0, 0] = torch.tensor([0.0, 0.0, 1.0])
    gt = F.normalize(torch.randn(2, 3, 4, 5), dim=1)
    gt[0, :, 0, 0] = torch.tensor([0.0, 0.0, 1.0])  # |cos| = 1: excluded by the valid mask
    kappa = torch.rand(2, 1, 4, 5) * 5 + 0.1
    nmask = (torch.rand(2, 1, 4, 5) > 0.2)
    dpred = torch.rand(2, 1, 4, 5) + 0.5
    dgt = torch.rand(2, 1, 4, 5) + 0.5
    dmask = (torch.rand(2, 1, 4, 5) > 0.3).float()
    t.update({"l.pred": pred, "l.target": target, "l.mask": mask, "l.logits": logits, "l.labels": labels, "l.cw": cw,
              "l.normals": normals, "l.gt": gt, "l.kappa": kappa, "l.nmask": nmask.float(), "l.dpred": dpred, "l.dgt": dgt, "l.dmask": dmask})

    def record(name, fn, *args):
        args = [a.clone().requires_grad_() for a in args]
        v = fn(*args)
        v.backward()
        t[f"{name}.value"] = v.detach().reshape(1)
        t[f"{name}.grad"] = args[0].grad

    record("mse", lambda p: F.mse_loss(p, target), pred)
    record("l1_masked", lambda p: (torch.abs(p - target) * mask).sum() / mask.expand_as(p).sum(), pred)
    record("ce", lambda z: F.cross_entropy(z, labels, ignore_index=255), logits)
    record("ce_weighted", lambda z: F.cross_entropy(z, labels, weight=cw, ignore_index=255), logits)
    record("vmf_angular", lambda n, k: bae_nll_ours(torch.cat([n, k], 1), gt, nmask), normals, kappa)
    record("vmf_angular_kappa", lambda k, n: bae_nll_ours(torch.cat([n, k], 1), gt, nmask), kappa, normals)
    record("vmf", lambda n, k: bae_nll_vmf(torch.cat([n, k], 1), gt, nmask), normals, kappa)
    record("silog", lambda p: silog(p, dgt, dmask), dpred)
    save_file({k: v.contiguous() for k, v in t.items()}, out, metadata={"torch": torch.__version__, "script": "tools/golden/graph/optim_losses.py"})


if __name__ == "__main__":
    main(sys.argv[1])
