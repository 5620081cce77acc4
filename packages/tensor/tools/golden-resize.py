# Golden outputs of torch.nn.functional.interpolate for src/resize.test.ts.
# usage: /usr/bin/python3 packages/tensor/tools/golden-resize.py > packages/tensor/src/fixtures/resize-golden.json
# (Debian's python3 with torch 1.13; inputs are a deterministic formula so the test rebuilds them itself.)
import json, math
import torch
import torch.nn.functional as F

def make_input(n, c, h, w):
    # x[i] = sin(0.37 i) + 0.01 i (flat index i), float32
    vals = [math.sin(0.37 * i) + 0.01 * i for i in range(n * c * h * w)]
    return torch.tensor(vals, dtype=torch.float32).reshape(n, c, h, w)

cases = []
for (h, w) in [(5, 7), (4, 4), (3, 10)]:
    for (oh, ow) in [(9, 3), (1, 1), (8, 13), (2, 5)]:
        x = make_input(1, 2, h, w)
        for mode, ac in [('bilinear', False), ('bilinear', True), ('nearest', None)]:
            kw = {} if ac is None else {'align_corners': ac}
            y = F.interpolate(x, size=(oh, ow), mode=mode, **kw)
            cases.append({'in': [1, 2, h, w], 'size': [oh, ow], 'mode': mode, 'alignCorners': bool(ac),
                          'out': [float('%.9g' % v) for v in y.flatten().tolist()]})
print(json.dumps({'torch': torch.__version__, 'input': 'sin(0.37*i)+0.01*i', 'cases': cases}))
