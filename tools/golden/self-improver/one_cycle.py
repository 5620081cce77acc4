# Golden learning rates of torch.optim.lr_scheduler.OneCycleLR (Bae et al.'s train.py schedule: cos annealing,
# two phases) for packages/self-improver/src/lr-schedule.test.ts.
#   /usr/bin/python3 tools/golden/self-improver/one_cycle.py > packages/self-improver/src/fixtures/one-cycle-golden.json
# Needs only torch (Debian python3-torch). The lr of iteration i is the optimizer's lr after i scheduler steps.
import json
import torch

cases = [
    dict(total=1250, max_lr=0.000357, div_factor=25.0, final_div_factor=10000.0, pct_start=0.3),  # Bae et al.'s defaults
    dict(total=10, max_lr=1.0, div_factor=4.0, final_div_factor=100.0, pct_start=0.3),
    dict(total=7, max_lr=0.01, div_factor=10.0, final_div_factor=10.0, pct_start=0.5),
]
out = {'torch': torch.__version__, 'cases': []}
for c in cases:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=c['max_lr'])
    s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=c['max_lr'], total_steps=c['total'], div_factor=c['div_factor'],
                                            final_div_factor=c['final_div_factor'], pct_start=c['pct_start'])
    lrs = []
    for _ in range(c['total']):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        s.step()
    out['cases'].append({**c, 'lr': lrs})
print(json.dumps(out))
