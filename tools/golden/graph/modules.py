"""Golden outputs of torch.nn modules for @diff2in1/graph's module tests.

Builds one container of the modules graph re-implements, with seeded torch weights, runs each on fixed
inputs, and writes state_dict + inputs + outputs to one safetensors file (names prefixed 'sd.', 'in.', 'out.').

usage: PYTHONPATH=tools/python /usr/bin/python3 tools/golden/graph/modules.py packages/graph/src/fixtures/modules.safetensors
"""
import sys

import torch
from torch import nn
from safetensors.torch import save_file

torch.manual_seed(0)


class All(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
        self.conv_reflect = nn.Conv2d(3, 5, 3, padding=1, padding_mode="reflect")
        self.deconv = nn.ConvTranspose2d(6, 4, 4, stride=2, padding=1)
        self.gn = nn.GroupNorm(2, 6)
        self.ln = nn.LayerNorm(8)
        self.bn = nn.BatchNorm2d(6)
        self.emb = nn.Embedding(10, 8, padding_idx=0)
        self.mha = nn.MultiheadAttention(8, 2)
        self.lin = nn.Linear(8, 3)
        self.seq = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.GELU(), nn.Conv2d(4, 2, 1))
        self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 2, bias=False)])


def main(out):
    m = All()
    with torch.no_grad():  # non-trivial affine params so they matter
        for p in [m.gn.weight, m.gn.bias, m.ln.weight, m.ln.bias, m.bn.weight, m.bn.bias, m.mha.in_proj_bias, m.mha.out_proj.bias]:
            p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p.dim() == 1 and p is m.gn.weight else 0.0))
    sd = {f"sd.{k}": v.clone() for k, v in m.state_dict().items()}
    x4 = torch.randn(2, 4, 7, 6)
    x3 = torch.randn(2, 3, 5, 6)
    x6 = torch.randn(2, 6, 4, 3)
    seq = torch.randn(5, 2, 8)
    ids = torch.tensor([[0, 3, 9], [4, 4, 1]])
    causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
    kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
    with torch.no_grad():
        outs = {
            "conv": m.conv(x4),
            "conv_reflect": m.conv_reflect(x3),
            "deconv": m.deconv(x6),
            "gn": m.gn(x6),
            "ln": m.ln(seq),
            "emb": m.emb(ids),
            "lin": m.lin(seq),
            "seq": m.seq(x3),
            "blocks": m.blocks[1](m.blocks[0](m.lin(seq))),
            "bn_eval": m.bn.eval()(x6),
        }
        attn, w = m.mha(seq, seq, seq, attn_mask=causal, key_padding_mask=kpm, need_weights=True)
        outs["mha"] = attn
        outs["mha_weights"] = w
        m.bn.train()
        outs["bn_train"] = m.bn(x6)
        outs["bn_running_mean"] = m.bn.running_mean.clone()
        outs["bn_running_var"] = m.bn.running_var.clone()
    tensors = dict(sd)
    tensors.update({"in.x4": x4, "in.x3": x3, "in.x6": x6, "in.seq": seq, "in.ids": ids, "in.causal": causal.to(torch.uint8), "in.kpm": kpm.to(torch.uint8)})
    tensors.update({f"out.{k}": v for k, v in outs.items()})
    save_file(tensors, out, metadata={"torch": torch.__version__, "script": "tools/golden/graph/modules.py"})


if __name__ == "__main__":
    main(sys.argv[1])
