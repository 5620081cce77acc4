# Golden file for ema.test.ts: θC ← keep·θC + (1 − keep)·θE over a torch state_dict, computed the way the official
# update_creation does it (github.com/zsh2000/diff-2-in-1, training_2nd_stage.py): new[key] = e[key] * (1 - keep)
# + c[key] * keep for every state_dict entry, then load_state_dict (which copies float results into int64 buffers).
# Run: PYTHONPATH=tools/python /usr/bin/python3 packages/self-improver/tools/make_ema_golden.py packages/self-improver/src/fixtures/ema-golden.safetensors
import sys
from collections import OrderedDict
import torch
import torch.nn as nn
from safetensors.torch import save_file

torch.manual_seed(0)
def net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1))
c, e = net(), net()
# Make buffers non-trivial: run θE in train mode a few times (running stats, num_batches_tracked = 7) and
# give θC another counter.
e.train()
for _ in range(7):
    e(torch.randn(2, 3, 8, 8))
c.train()
for _ in range(100):
    c(torch.randn(2, 3, 8, 8))
with torch.no_grad():
    c[1].num_batches_tracked.fill_(100)
    e[1].num_batches_tracked.fill_(110)
out = {}
for k, v in c.state_dict().items(): out[f'c.{k}'] = v.clone()
for k, v in e.state_dict().items(): out[f'e.{k}'] = v.clone()
for keep in (0.998, 0.9):
    cc = net(); cc.load_state_dict(c.state_dict())
    new = OrderedDict()
    for key, value in cc.state_dict().items():
        new[key] = e.state_dict()[key] * (1 - keep) + value * keep
    cc.load_state_dict(new)
    for k, v in cc.state_dict().items(): out[f'expected.{keep}.{k}'] = v.clone()
# A float64 case (a module converted with .double()).
cd, ed = c.double(), e.double()
for k, v in cd.state_dict().items(): out[f'c64.{k}'] = v.clone()
for k, v in ed.state_dict().items(): out[f'e64.{k}'] = v.clone()
for key, value in cd.state_dict().items():
    out[f'expected64.{key}'] = ed.state_dict()[key] * (1 - 0.998) + value * 0.998 if value.dtype.is_floating_point else value.clone()
save_file({k: v.contiguous() for k, v in out.items()}, sys.argv[1])
print('wrote', len(out), 'tensors to', sys.argv[1])
