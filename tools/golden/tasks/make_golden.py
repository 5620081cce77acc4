#!/usr/bin/env python3
"""Golden files for @diff2in1/tasks' metrics, produced by the upstream evaluation code itself.

Run with Debian's python3 (torch 1.13, numpy, matplotlib, python3-opencv):

  /usr/bin/python3 tools/golden/tasks/make_golden.py --out packages/tasks/src/fixtures \
      --bae /work/.mirror/baegwangbin+surface_normal_uncertainty/repo \
      --invpt /work/.mirror/prismformore+Multi-Task-Transformer/repo \
      --mtl /work/.mirror/SimonVandenhende+Multi-Task-Learning-PyTorch/repo \
      --bts /work/.mirror/cleinc+bts/repo

Each repository is a git dir; the evaluation modules are read from HEAD at run time into a temporary folder
(nothing is copied into this repository) and run on small seeded inputs, which are stored beside the outputs:
 - Bae et al.: the angular error of train.py validate() (torch.cosine_similarity, clamp, acos, ·180/π in float32;
   inline in their training loop, so those three lines are repeated here) reduced by utils.utils.compute_normal_errors.
 - InvPT: evaluation/eval_depth.DepthMeter, eval_semseg.SemsegMeter('NYUD'), eval_sal.SaliencyMeter(0.05, 0.3).
 - MTI-Net: evaluation/eval_sal.SaliencyMeter (ASTMT thresholds, per-image precision / recall / Jaccard).
 - BTS: compute_errors from utils/eval_with_pngs.py (extracted with ast; the module parses argv on import).
 - matplotlib's 'turbo' colour map at 17 points; torch.arange / np.linspace thresholds.
"""
import argparse
import ast
import importlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

torch.set_num_threads(1)
np.bool = bool  # ASTMT's jaccard.py uses np.bool, removed in numpy 1.24


def git_show(repo, path):
    return subprocess.run(['git', '--git-dir', repo, 'show', f'HEAD:{path}'], check=True, capture_output=True).stdout


def stage(repo, paths, dest):
    for p in paths:
        out = os.path.join(dest, p)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, 'wb') as f:
            f.write(git_show(repo, p))
        d = os.path.dirname(out)
        while d.startswith(dest) and d != dest:  # make packages importable
            open(os.path.join(d, '__init__.py'), 'a').close()
            d = os.path.dirname(d)


def load(root, dotted):
    sys.path.insert(0, root)
    try:
        for k in [k for k in sys.modules if k == 'evaluation' or k.startswith('evaluation.') or k == 'utils' or k.startswith('utils.')]:
            del sys.modules[k]
        return importlib.import_module(dotted)
    finally:
        sys.path.remove(root)


def lst(a):
    return np.asarray(a, dtype=np.float64).reshape(-1).tolist()


def normals_case(tmp, bae):
    rng = np.random.default_rng(1)
    n, h, w = 2, 5, 6
    gt = rng.normal(size=(n, 3, h, w)).astype(np.float32)
    gt /= np.linalg.norm(gt, axis=1, keepdims=True)
    gt[0, :, 0, :3] = 0  # invalid pixels: zero vector
    gt[1, :, 4, 5] = 0
    pred = (gt + rng.normal(scale=0.35, size=gt.shape)).astype(np.float32)
    pred[1, :, 2, 2] = -gt[1, :, 2, 2]  # an exact 180°
    pred = pred * rng.uniform(0.5, 2.0, size=(n, 1, h, w)).astype(np.float32)  # not unit: cosine normalises
    mask = np.linalg.norm(gt, axis=1) != 0
    stage(bae, ['utils/utils.py'], os.path.join(tmp, 'bae'))
    utils = load(os.path.join(tmp, 'bae'), 'utils.utils')
    pt, gtt = torch.from_numpy(pred), torch.from_numpy(gt)
    # train.py validate(): cosine_similarity, clamp, acos·180/π, E[mask], concatenated over the set
    e = torch.clamp(torch.cosine_similarity(pt, gtt, dim=1), min=-1.0, max=1.0)
    E = torch.acos(e) * 180.0 / np.pi
    errors = E[torch.from_numpy(mask)].numpy()
    m = utils.compute_normal_errors(errors)
    return {
        'shape': [n, 3, h, w], 'pred': lst(pred), 'gt': lst(gt),
        'mean': float(m['mean']), 'median': float(m['median']), 'rmse': float(np.asarray(m['rmse']).reshape(-1)[0]),
        'within': {'5': float(m['a1']), '7.5': float(m['a2']), '11.25': float(m['a3']), '22.5': float(m['a4']), '30': float(m['a5'])},
        'pixels': int(errors.size),
    }


def depth_case(tmp, invpt, bts):
    rng = np.random.default_rng(2)
    n, h, w = 3, 4, 5
    gt = rng.uniform(0.5, 9.5, size=(n, h, w)).astype(np.float32)
    gt[0, 0, :2] = 0
    gt[2, 3, 4] = 0
    gt[1, 1, 1] = 12.0  # beyond BTS' max_depth_eval
    pred = (gt * rng.uniform(0.6, 1.6, size=gt.shape)).astype(np.float32)
    pred[0, 2, 2] = -1.0  # non-positive prediction
    pred[2, 1, 3] = 14.0  # beyond BTS' clamp
    stage(invpt, ['InvPT/evaluation/eval_depth.py'], os.path.join(tmp, 'invpt'))
    ed = load(os.path.join(tmp, 'invpt', 'InvPT'), 'evaluation.eval_depth')
    meter = ed.DepthMeter(ignore_index=255)
    for i in range(n):
        g = torch.from_numpy(gt[i].copy())
        g[g == 0] = 255  # InvPT transforms.AddIgnoreRegions: depth 0 → ignore
        meter.update(torch.from_numpy(pred[i].copy())[None, None], g[None, None])
    inv = meter.get_score(verbose=False)
    # BTS: compute_errors per image, after eval()'s clamping and valid range (NYU: 1e-3 .. 10)
    src = git_show(bts, 'utils/eval_with_pngs.py').decode()
    fn = next(node for node in ast.parse(src).body if isinstance(node, ast.FunctionDef) and node.name == 'compute_errors')
    ns = {'np': np}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), 'eval_with_pngs.py', 'exec'), ns)
    rows = []
    for i in range(n):
        p = pred[i].copy()
        g = gt[i].copy()
        p[p < 1e-3] = 1e-3
        p[p > 10] = 10
        valid = np.logical_and(g > 1e-3, g < 10)
        rows.append(ns['compute_errors'](g[valid], p[valid]))
    silog, log10, abs_rel, sq_rel, rms, log_rms, d1, d2, d3 = [float(np.mean([r[k] for r in rows])) for k in range(9)]
    return {
        'shape': [n, h, w], 'pred': lst(pred), 'gt': lst(gt),
        'invpt': {'rmse': float(inv['rmse']), 'rmseLog': float(inv['log_rmse']), 'absRel': float(inv['abs_rel']), 'sqRel': float(inv['sq_rel'])},
        'bts': {'silog': silog, 'log10': log10, 'absRel': abs_rel, 'sqRel': sq_rel, 'rmse': rms, 'rmseLog': log_rms,
                'delta1': d1, 'delta2': d2, 'delta3': d3},
    }


def semseg_case(tmp, invpt):
    rng = np.random.default_rng(3)
    n, h, w = 2, 6, 7
    gt = rng.integers(0, 40, size=(n, h, w))
    gt[gt == 7] = 8  # class 7 absent from gt ...
    gt[0, 0, :] = 255
    pred = np.where(rng.uniform(size=gt.shape) < 0.6, gt, rng.integers(0, 40, size=gt.shape))
    pred[pred == 7] = 9  # ... and from predictions
    pred[gt == 255] = 3
    stage(invpt, ['InvPT/evaluation/eval_semseg.py'], os.path.join(tmp, 'invpt'))
    es = load(os.path.join(tmp, 'invpt', 'InvPT'), 'evaluation.eval_semseg')
    meter = es.SemsegMeter('NYUD', ignore_idx=255)
    for i in range(n):
        meter.update(torch.from_numpy(pred[i]), torch.from_numpy(gt[i]))
    res = meter.get_score(verbose=False)
    return {'shape': [n, h, w], 'pred': pred.reshape(-1).tolist(), 'gt': gt.reshape(-1).tolist(), 'numClasses': 40,
            'atrc_mIoU': float(res['mIoU'])}


def saliency_case(tmp, invpt, mtl):
    rng = np.random.default_rng(4)
    n, h, w = 3, 6, 5
    gt = (rng.uniform(size=(n, h, w)) < 0.4).astype(np.int64)
    prob = np.clip(gt * 0.3 + rng.uniform(0.0, 0.7, size=gt.shape), 0.001, 0.999).astype(np.float32)
    stage(invpt, ['InvPT/evaluation/eval_sal.py'], os.path.join(tmp, 'invpt'))
    esi = load(os.path.join(tmp, 'invpt', 'InvPT'), 'evaluation.eval_sal')
    # InvPT as run: get_output gives softmax prob · 255; the meter divides by 255 and applies a sigmoid.
    invpt_meter = esi.SaliencyMeter(ignore_index=255, threshold_step=0.05, beta_squared=0.3)
    # ATRC's MaxF = the same meter fed with logits (sigmoid(logit) = prob): pass 255·logit(prob).
    atrc_meter = esi.SaliencyMeter(ignore_index=255, threshold_step=0.05, beta_squared=0.3)
    for i in range(n):
        p = torch.from_numpy(prob[i])[None]
        invpt_meter.update(p * 255, torch.from_numpy(gt[i])[None])
        logit = torch.log(p.double() / (1 - p.double())).float()
        atrc_meter.update(logit * 255, torch.from_numpy(gt[i])[None])
    stage(mtl, ['evaluation/eval_sal.py', 'evaluation/jaccard.py'], os.path.join(tmp, 'mtl'))
    ems = load(os.path.join(tmp, 'mtl'), 'evaluation.eval_sal')
    mti = ems.SaliencyMeter()
    # one batch of all images: the meter squeezes its input, which for a batch of one would drop the batch axis
    mti.update(torch.from_numpy(prob) * 255, torch.from_numpy(gt))
    mres = mti.get_score(verbose=False)
    return {
        'shape': [n, h, w], 'prob': lst(prob), 'gt': gt.reshape(-1).tolist(),
        'invpt_maxF': float(invpt_meter.get_score()['maxF']),
        'atrc_maxF': float(atrc_meter.get_score()['maxF']),
        'mtinet': {'maxF': float(mres['maxF']), 'mIoU': float(mres['mIoU']), 'F': lst(mres['F'])},
    }


def constants():
    from matplotlib import cm
    xs = np.linspace(0, 1, 17)
    return {
        'torch_arange_0.05_1_0.05': [float(v) for v in torch.arange(0.05, 1, 0.05)],
        'np_linspace_0.2_0.9_15': [float(v) for v in np.linspace(0.2, 0.9, 15)],
        'turbo17': {'x': xs.tolist(), 'rgb255': [[float(c) * 255 for c in cm.get_cmap('turbo')(x)[:3]] for x in xs]},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--bae', required=True)
    ap.add_argument('--invpt', required=True)
    ap.add_argument('--mtl', required=True)
    ap.add_argument('--bts', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        golden = {
            'normals': normals_case(tmp, a.bae),
            'depth': depth_case(tmp, a.invpt, a.bts),
            'semseg': semseg_case(tmp, a.invpt),
            'saliency': saliency_case(tmp, a.invpt, a.mtl),
            'constants': constants(),
        }
    with open(os.path.join(a.out, 'metrics-golden.json'), 'w') as f:
        json.dump(golden, f)
    print('wrote', os.path.join(a.out, 'metrics-golden.json'))


if __name__ == '__main__':
    main()
