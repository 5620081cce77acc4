#!/usr/bin/env python3
"""Golden files for @diff2in1/datasets, written and read back by the libraries the upstream loaders use.

Run with Debian's python3 (numpy, scipy, python3-opencv):

  /usr/bin/python3 tools/golden/datasets/make_golden.py --out packages/datasets/src/fixtures

Writes small files plus `golden.json` with what the upstream readers see in them (label PNGs and .npy:
packages/tensor/tools/golden-formats.py):
 - mat/*.mat written by scipy.io.savemat (compressed and not): a Pascal-Part style `anno` struct (imname,
   objects{class, class_ind, mask, parts{part_name, mask}}), a `LabelMap`, NYUv2-style `splits.mat`.
 - official-resize: the NYUv2 pipeline of zsh2000/diff-2-in-1 ldm/data/nyu.py (cv2.imread → RGB /255,
   mask = sum ≠ 0, cv2.resize bilinear of image, normals and mask, mask == 1) on a 30×40 image resized to 32×32,
   which has the same scale factors (0.9375, 1.25) as the real 480×640 → 512×512.
"""
import argparse
import json
import os

import cv2
import numpy as np
import scipy.io as sio


def mat_cases(out):
    rng = np.random.default_rng(9)
    os.makedirs(os.path.join(out, 'mat'), exist_ok=True)
    h, w = 6, 5
    m1 = np.zeros((h, w), np.uint8); m1[1:5, 1:4] = 1
    head = np.zeros((h, w), np.uint8); head[1, 1:4] = 1
    torso = np.zeros((h, w), np.uint8); torso[2:4, 1:4] = 1
    lfoot = np.zeros((h, w), np.uint8); lfoot[4, 1] = 1
    car = np.zeros((h, w), np.uint8); car[5, :] = 1
    part_dtype = [('part_name', 'O'), ('mask', 'O')]
    parts_person = np.array([[('head', head), ('torso', torso), ('lfoot', lfoot)]], dtype=part_dtype)
    parts_car = np.zeros((0, 0))
    obj_dtype = [('class', 'O'), ('class_ind', 'O'), ('mask', 'O'), ('parts', 'O')]
    objects = np.array([[('person', np.array([[15.0]]), m1, parts_person), ('car', np.array([[7.0]]), car, parts_car)]], dtype=obj_dtype)
    anno = np.array([[('2008_000001', objects)]], dtype=[('imname', 'O'), ('objects', 'O')])
    labelmap = rng.integers(0, 460, size=(h, w)).astype(np.uint16)
    for compress in (False, True):
        suffix = 'z' if compress else 'raw'
        sio.savemat(os.path.join(out, 'mat', f'parts_{suffix}.mat'), {'anno': anno}, do_compression=compress)
        sio.savemat(os.path.join(out, 'mat', f'labelmap_{suffix}.mat'), {'LabelMap': labelmap}, do_compression=compress)
    only_car = np.array([[('car', np.array([[7.0]]), car, parts_car)]], dtype=obj_dtype)
    sio.savemat(os.path.join(out, 'mat', 'parts_noperson.mat'), {'anno': np.array([[('2008_000002', only_car)]], dtype=[('imname', 'O'), ('objects', 'O')])}, do_compression=True)
    bad_parts = np.array([[('tail', head)]], dtype=part_dtype)
    bad = np.array([[('person', np.array([[15.0]]), m1, bad_parts)]], dtype=obj_dtype)
    sio.savemat(os.path.join(out, 'mat', 'parts_badname.mat'), {'anno': np.array([[('2008_000003', bad)]], dtype=[('imname', 'O'), ('objects', 'O')])}, do_compression=True)
    sio.savemat(os.path.join(out, 'mat', 'splits.mat'), {'trainNdxs': np.array([[3.0], [4.0], [6.0]]), 'testNdxs': np.array([[1.0], [2.0], [5.0]])})
    # Gupta et al.'s classMapping40.mat layout: mapClass (1×K raw classes → 1..40, 0 = none), className (1×40 cell)
    sio.savemat(os.path.join(out, 'mat', 'classmap.mat'), {
        'mapClass': np.array([[3.0, 1.0, 40.0, 0.0, 2.0]]),
        'className': np.array([['class%d' % (i + 1) for i in range(40)]], dtype=object),
    })
    sio.savemat(os.path.join(out, 'mat', 'mixed.mat'), {
        'names': np.array([['wall', 'floor', 'a longer name']], dtype=object),
        'cube': np.arange(24, dtype=np.int32).reshape(2, 3, 4),
        'flag': np.array([[True, False]]),
        'single': np.array([[1.5, -2.25]], dtype=np.float32),
    }, do_compression=True)
    back = sio.loadmat(os.path.join(out, 'mat', 'parts_z.mat'))
    objs = back['anno'][0][0][1][0]
    return {
        'labelmap': {'shape': [h, w], 'values': labelmap.astype(int).reshape(-1).tolist()},
        'person_mask': m1.astype(int).reshape(-1).tolist(),
        'parts': {str(objs[0][3][0][i][0][0]): objs[0][3][0][i][1].astype(int).reshape(-1).tolist() for i in range(3)},
        'cube_c_order': np.arange(24).tolist(),
    }


def official_resize_case(h, w, oh, ow, seed):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, size=(h, w, 3)).astype(np.uint8)
    norm = rng.integers(1, 256, size=(h, w, 3)).astype(np.uint8)
    norm[5:9, 10:20] = 0  # a black (invalid) block and scattered invalid pixels
    norm[rng.uniform(size=(h, w)) < 0.05] = 0
    # ldm/data/nyu.py, with the file reads replaced by the arrays (cv2.imread gives BGR; cvtColor gives RGB back)
    im = cv2.cvtColor(img[:, :, ::-1].copy(), cv2.COLOR_BGR2RGB) / 255.
    im = cv2.resize(im, (ow, oh))
    sn = cv2.cvtColor(norm[:, :, ::-1].copy(), cv2.COLOR_BGR2RGB) / 255.
    mask = np.sum(sn, axis=2, keepdims=True)
    mask = np.where(mask == 0, 0.0, 1.0)
    sn = cv2.resize(sn, (ow, oh))
    mask = cv2.resize(mask, (ow, oh))
    mask = (mask == 1)
    sn = sn * 2 - 1
    return {
        'size': [h, w], 'out': [oh, ow],
        'image': img.reshape(-1).tolist(), 'normals': norm.reshape(-1).tolist(),
        'image_out': im.reshape(-1).tolist(), 'normals_out': sn.reshape(-1).tolist(), 'mask_out': mask.astype(int).reshape(-1).tolist(),
        'nearest_mask_out': cv2.resize((norm.sum(axis=2) != 0).astype(np.uint8), (ow, oh), interpolation=cv2.INTER_NEAREST).reshape(-1).tolist(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    golden = {'mat': mat_cases(a.out), 'official_resize': [official_resize_case(30, 40, 32, 32, 10), official_resize_case(23, 37, 16, 20, 11)]}
    with open(os.path.join(a.out, 'golden.json'), 'w') as f:
        json.dump(golden, f)
    print('wrote', a.out)


if __name__ == '__main__':
    main()
