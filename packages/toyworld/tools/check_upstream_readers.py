#!/usr/bin/env python3
"""Runs the upstream dataset readers on `toyworld export` output and compares what they load with the folder
export of the same scenes (the exact labels). Not part of CI: it needs Debian's /usr/bin/python3 (numpy, scipy,
cv2, PIL, torch) and upstream source files, passed as arguments (never committed):

  git -C <mirror of prismformore/Multi-Task-Transformer> show HEAD:InvPT/data/nyud.py > invpt/data/nyud.py
  (same for InvPT/data/pascal_context.py and InvPT/data/db_info/*.json)
  git -C <mirror of SimonVandenhende/Multi-Task-Learning-PyTorch> show HEAD:data/nyud.py > mtl/nyud.py
  git -C <mirror of zsh2000/diff-2-in-1> show HEAD:ldm/data/nyu.py > d2i/nyu.py

  node dist/cli.js export --layout <L> --out ROOT/<L> --count 3 --test-count 2 --size 512x512 --seed 5
  (for L in folder nyuv2 nyudmt pascal ade20k, and --layout nyudmt --variant mtinet --out ROOT/mtinet)

  /usr/bin/python3 tools/check_upstream_readers.py --root ROOT --invpt invpt --mtl mtl/nyud.py --d2i d2i/nyu.py

Missing upstream-only dependencies (torchvision, skimage, the repos' path helpers) are replaced by minimal
stand-ins that do what the readers use them for; each is noted below.
"""
import argparse
import importlib.util
import json
import os
import sys
import types

import cv2
import numpy as np
import torch

# Our tables (classes.ts), for the comparisons.
NYU40 = [1, 2, 22, 9, 29, 40, 40, 40, 31]
VOC21 = [0, 0, 0, 0, 0, 0, 0, 0, 15]
ADE150 = [1, 4, 6, 9, 42, 120, 112, 109, 13]


def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read(path):
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


class Folder:
    """The exact labels, from the folder layout."""

    def __init__(self, root):
        self.root = root
        self.captions = json.load(open(os.path.join(root, 'captions.json')))

    def get(self, index):
        k = 'toy_%06d' % index
        rgb = cv2.cvtColor(read(f'{self.root}/images/{k}.png'), cv2.COLOR_BGR2RGB)
        nrm = cv2.cvtColor(read(f'{self.root}/normals/{k}.png'), cv2.COLOR_BGR2RGB)
        valid = nrm.sum(axis=2) > 0
        return dict(rgb=rgb, normals=nrm.astype(np.float64) / 255 * 2 - 1, valid=valid,
                    depth=read(f'{self.root}/depth/{k}.png').astype(np.float64) / 1000,
                    semantic=read(f'{self.root}/semseg/{k}.png'), parts=read(f'{self.root}/parts/{k}.png'),
                    saliency=read(f'{self.root}/saliency/{k}.png') > 127, caption=self.captions[k])


def mapped(sem, table, void):
    out = np.full(sem.shape, void, np.int64)
    for s, t in enumerate(table):
        out[sem == s] = t
    return out


results = []


def check(name, ok, detail=''):
    results.append((name, bool(ok), detail))
    print(('PASS ' if ok else 'FAIL ') + name + (f'  ({detail})' if detail else ''))


def edges_of(labels, instance_proxy):
    e = np.zeros(labels.shape, bool)
    e[:, :-1] |= (labels[:, :-1] != labels[:, 1:]) | (instance_proxy[:, :-1] != instance_proxy[:, 1:])
    e[:-1, :] |= (labels[:-1, :] != labels[1:, :]) | (instance_proxy[:-1, :] != instance_proxy[1:, :])
    return e


def run_d2i(args, folder, n_train, n_test):
    # torchvision stand-in: T.Compose / T.ToTensor as the reader uses them on float HWC arrays (no scaling).
    class ToTensor:
        def __call__(self, x):
            x = np.asarray(x)
            if x.ndim == 2:
                x = x[:, :, None]
            return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))

    class Compose:
        def __init__(self, ts):
            self.ts = ts

        def __call__(self, x):
            for t in self.ts:
                x = t(x)
            return x

    tv = stub('torchvision')
    tv.transforms = stub('torchvision.transforms', Compose=Compose, ToTensor=ToTensor)
    mod = load(args.d2i, 'd2i_nyu')
    cwd = os.getcwd()
    os.makedirs('/tmp/toyworld-d2i/dataset', exist_ok=True)
    link = '/tmp/toyworld-d2i/dataset/nyu'
    if os.path.islink(link):
        os.unlink(link)
    os.symlink(os.path.join(args.root, 'nyuv2', 'nyu'), link)
    os.chdir('/tmp/toyworld-d2i')
    try:
        for split, base, n in (('train', 0, n_train), ('test', n_train, n_test)):
            ds = mod.NYU_Dataset(split=split)
            check(f'd2i nyu {split}: length', len(ds.image_paths) == n, f'{len(ds.image_paths)} vs {n}')
            for i in range(n):
                s = ds[i]
                f = folder.get(base + i)
                sn = s['sns'].numpy().transpose(1, 2, 0)
                mask = s['sn_masks'][:, :, 0]
                img = ((s['image'].numpy().transpose(1, 2, 0) + 1) / 2 * 255).round()
                check(f'd2i nyu {split}[{i}]: normals', np.abs(sn - f['normals']).max() < 1e-6 and (mask == f['valid']).all())
                check(f'd2i nyu {split}[{i}]: image', np.abs(img - f['rgb']).max() == 0)
                check(f'd2i nyu {split}[{i}]: caption', s['caption'] == f['caption'], s['caption'])
    finally:
        os.chdir(cwd)


def run_invpt_nyud(args, folder, n_train, n_test):
    mod = load(os.path.join(args.invpt, 'data', 'nyud.py'), 'invpt_nyud')
    for split, base, n in (('train', 0, n_train), ('val', n_train, n_test)):
        ds = mod.NYUD_MT(root=os.path.join(args.root, 'nyudmt'), split=split, do_edge=True, do_semseg=True, do_normals=True, do_depth=True)
        check(f'invpt nyud {split}: length', len(ds) == n)
        for i in range(n):
            s = ds[i]
            f = folder.get(base + i)
            seg = mapped(f['semantic'], NYU40, 0) - 1
            seg[seg == -1] = 255
            check(f'invpt nyud {split}[{i}]: semseg', (s['semseg'][:, :, 0] == seg).all())
            check(f'invpt nyud {split}[{i}]: normals', np.abs(s['normals'] - f['normals'])[f['valid']].max() < 1e-6)
            d = s['depth'][:, :, 0]
            check(f'invpt nyud {split}[{i}]: depth (mm-rounded folder depth within 0.5 mm)', np.abs(d - f['depth']).max() <= 0.0005 + 1e-6 and ((d == 0) == (f['depth'] == 0)).all())
            check(f'invpt nyud {split}[{i}]: image', (s['image'] == f['rgb']).all())
            e = s['edge'][:, :, 0]
            check(f'invpt nyud {split}[{i}]: edges binary, on label/instance changes', set(np.unique(e)) <= {0.0, 1.0} and e.sum() > 0)


def run_mtl_nyud(args, folder, n_train, n_test):
    class MyPath:
        @staticmethod
        def db_root_dir(name=None):
            return args.root

    stub('utils')
    stub('utils.mypath', MyPath=MyPath)
    stub('utils.utils', mkdir_if_missing=lambda p: None)
    stub('data')
    stub('data.google_drive', download_file_from_google_drive=lambda *a: None)
    mod = load(args.mtl, 'mtl_nyud')
    for split, base, n in (('train', 0, n_train), ('val', n_train, n_test)):
        ds = mod.NYUD_MT(root=os.path.join(args.root, 'mtinet'), download=False, split=split, do_edge=True, do_semseg=True, do_normals=True, do_depth=True)
        check(f'mti-net nyud {split}: length', len(ds) == n)
        for i in range(n):
            s = ds[i]
            f = folder.get(base + i)
            seg = mapped(f['semantic'], NYU40, 0).astype(np.float32)
            seg[seg == 0] = 256
            seg = seg - 1
            check(f'mti-net nyud {split}[{i}]: semseg', (s['semseg'] == seg).all())
            check(f'mti-net nyud {split}[{i}]: normals (float, within PNG quantisation of the folder copy)', np.abs(s['normals'] - f['normals'])[f['valid']].max() <= 1 / 255 + 1e-6 and (s['normals'][~f['valid']] == 0).all())
            check(f'mti-net nyud {split}[{i}]: depth', np.abs(s['depth'] - f['depth']).max() <= 0.0005 + 1e-6)
            check(f'mti-net nyud {split}[{i}]: jpeg image close', np.abs(s['image'] - f['rgb']).mean() < 3)


def run_invpt_pascal(args, folder, n_train, n_test):
    stub('configs')
    stub('configs.mypath', PROJECT_ROOT_DIR=args.invpt)
    # skimage stand-in: thin() only post-processes the edge map, which these checks do not compare exactly.
    sk = stub('skimage')
    sk.morphology = stub('skimage.morphology', thin=lambda x: x)
    # The reader allocates with np.float, removed in numpy 1.24; alias it to the builtin it meant.
    if not hasattr(np, 'float'):
        np.float = float
    mod = load(os.path.join(args.invpt, 'data', 'pascal_context.py'), 'invpt_pascal')
    for split, base, n in (('train', 0, n_train), ('val', n_train, n_test)):
        root = os.path.join(args.root, 'pascal')
        parts_cache = os.path.join(root, 'ImageSets', 'Parts', split + '.txt')
        before = open(parts_cache).read()
        ds = mod.PASCALContext(root=root, download=False, split=split, do_edge=True, do_human_parts=True, do_semseg=True, do_normals=True, do_sal=True, num_human_parts=6)
        check(f'invpt pascal {split}: length', len(ds) == n)
        check(f'invpt pascal {split}: ImageSets/Parts accepted as is (no re-preprocessing)', open(parts_cache).read() == before)
        for i in range(n):
            s = ds[i]
            f = folder.get(base + i)
            check(f'invpt pascal {split}[{i}]: semseg', (s['semseg'][:, :, 0] == mapped(f['semantic'], VOC21, 255)).all())
            hp = s['human_parts'][:, :, 0]
            person = f['semantic'] == 8
            if person.any():
                check(f'invpt pascal {split}[{i}]: human parts = our 6-part labels', (hp == f['parts']).all(), f'{int(person.sum())} person px')
            else:
                check(f'invpt pascal {split}[{i}]: no person → all-zero parts (AddIgnoreRegions then ignores)', (hp == 0).all())
            nrm = s['normals']
            check(f'invpt pascal {split}[{i}]: distilled normals kept on every toy surface', np.abs(nrm - f['normals'])[f['valid']].max() < 1e-6 and (nrm[~f['valid']] == 0).all())
            check(f'invpt pascal {split}[{i}]: saliency', (s['sal'][:, :, 0] == f['saliency']).all())
            check(f'invpt pascal {split}[{i}]: edges exist', s['edge'].sum() > 0)


def run_ade(args, folder, n_train, n_test):
    base_dir = os.path.join(args.root, 'ade20k', 'ADEChallengeData2016')
    for split, d, prefix, base, n in (('train', 'training', 'ADE_train', 0, n_train), ('val', 'validation', 'ADE_val', n_train, n_test)):
        for i in range(n):
            ann = read(os.path.join(base_dir, 'annotations', d, '%s_%08d.png' % (prefix, i + 1)))
            img = cv2.imread(os.path.join(base_dir, 'images', d, '%s_%08d.jpg' % (prefix, i + 1)))
            f = folder.get(base + i)
            check(f'ade20k {split}[{i}]: annotation = mapped classes, 8-bit single channel', ann.dtype == np.uint8 and ann.ndim == 2 and (ann == mapped(f['semantic'], ADE150, 0)).all())
            check(f'ade20k {split}[{i}]: jpeg close to png', np.abs(cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(int) - f['rgb']).mean() < 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--root', required=True)
    ap.add_argument('--invpt', required=True, help='dir holding InvPT data/nyud.py, data/pascal_context.py, data/db_info/*.json')
    ap.add_argument('--mtl', required=True, help="MTI-Net repo's data/nyud.py")
    ap.add_argument('--d2i', required=True, help="diff-2-in-1's ldm/data/nyu.py")
    ap.add_argument('--train', type=int, default=3)
    ap.add_argument('--test', type=int, default=2)
    args = ap.parse_args()
    args.root = os.path.abspath(args.root)
    args.invpt = os.path.abspath(args.invpt)
    folder = Folder(os.path.join(args.root, 'folder'))
    run_d2i(args, folder, args.train, args.test)
    run_invpt_nyud(args, folder, args.train, args.test)
    run_invpt_pascal(args, folder, args.train, args.test)
    run_mtl_nyud(args, folder, args.train, args.test)
    run_ade(args, folder, args.train, args.test)
    bad = [r for r in results if not r[1]]
    print(f'{len(results) - len(bad)}/{len(results)} checks passed')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
