#!/usr/bin/env python3
"""Reads src/fixtures/*.mat with scipy.io.loadmat the way InvPT's PASCAL reader indexes them and writes what it
finds to src/fixtures/mat-fixtures.scipy.json (the truth mat5.test.ts checks our writer's bytes against).
The fixtures are written uncompressed by @diff2in1/toyworld encodeMat (see mat5.test.ts). Run with Debian's /usr/bin/python3 (scipy): python3 tools/read_mat_fixtures.py src/fixtures"""
import json
import sys

import numpy as np
import scipy.io as sio

d = sys.argv[1]
m = sio.loadmat(f'{d}/human-parts-small.mat')
objs = m['anno'][0][0][1][0]  # InvPT: sio.loadmat(...)['anno'][0][0][1][0]
out = {'human_parts': {
    'imname': str(m['anno'][0][0][0][0]),
    'objects': [{
        'class': str(o[0][0]),
        'class_ind': float(o[1][0][0]),
        'mask': o[2].astype(np.float32).tolist(),
        'parts': [{'part_name': str(o[3][0][k][0][0]), 'mask': o[3][0][k][1].astype(bool).astype(int).tolist()} for k in range(len(o[3][0]))],
    } for o in objs],
}}
lm = sio.loadmat(f'{d}/labelmap-small.mat')['LabelMap']
out['LabelMap'] = {'dtype': str(lm.dtype), 'value': lm.tolist()}
json.dump(out, open(f'{d}/mat-fixtures.scipy.json', 'w'), indent=1)
print(json.dumps(out))
