#!/usr/bin/env python3
"""Golden files for @diff2in1/tensor's file-format readers, written and read back by the libraries the upstream
dataset loaders use (Debian's python3: numpy, PIL, python3-opencv):

  /usr/bin/python3 packages/tensor/tools/golden-formats.py --out packages/tensor/src/fixtures

 - png/*.png written by PIL in the modes label files use (palette 'P' at 8 and 4 bits, 'L', 'I;16' via cv2,
   'RGB', 'RGBA', 'LA'), with np.array(Image.open(f)) — how MTI-Net / InvPT / mmseg read labels — in
   png/golden.json.
 - npy/*.npy written by numpy (format 1.0, 2.0, 3.0; float16/32/64, int64, uint8, bool; Fortran order; a
   big-endian file that must be refused), with the C-order values in npy/golden.json.
"""
import argparse
import json
import os

import cv2
import numpy as np
from PIL import Image


def png_cases(out):
    rng = np.random.default_rng(7)
    os.makedirs(os.path.join(out, 'png'), exist_ok=True)
    cases = {}

    def save(name, img, **kw):
        path = os.path.join(out, 'png', name)
        img.save(path, **kw)
        arr = np.array(Image.open(path))
        cases[name] = {'mode': Image.open(path).mode, 'shape': list(arr.shape), 'values': arr.astype(np.int64).reshape(-1).tolist()}

    ids = rng.integers(0, 21, size=(5, 7)).astype(np.uint8)
    ids[0, 0] = 255
    p = Image.fromarray(ids, mode='P')
    pal = []
    for i in range(256):  # VOC bit-shuffle palette, as VOC label PNGs carry
        r = g = b = 0
        c = i
        for j in range(8):
            r |= (c & 1) << (7 - j); g |= ((c >> 1) & 1) << (7 - j); b |= ((c >> 2) & 1) << (7 - j); c >>= 3
        pal += [r, g, b]
    p.putpalette(pal)
    save('palette8.png', p)
    small = Image.fromarray((rng.integers(0, 12, size=(5, 7))).astype(np.uint8), mode='P')
    small.putpalette(pal[:16 * 3])
    save('palette4.png', small, bits=4)
    cases['palette4.png']['palette_rgb'] = np.array(small.convert('RGB')).reshape(-1).tolist()
    save('grey8.png', Image.fromarray(rng.integers(0, 256, size=(6, 5)).astype(np.uint8), mode='L'))
    d16 = rng.integers(0, 65536, size=(4, 6)).astype(np.uint16)
    cv2.imwrite(os.path.join(out, 'png', 'depth16.png'), d16)  # how BTS writes NYU depth PNGs
    arr = cv2.imread(os.path.join(out, 'png', 'depth16.png'), -1)
    cases['depth16.png'] = {'mode': 'I;16', 'shape': list(arr.shape), 'values': arr.astype(np.int64).reshape(-1).tolist()}
    save('rgb.png', Image.fromarray(rng.integers(0, 256, size=(3, 4, 3)).astype(np.uint8), mode='RGB'))
    save('rgba.png', Image.fromarray(rng.integers(0, 256, size=(3, 4, 4)).astype(np.uint8), mode='RGBA'))
    save('la.png', Image.fromarray(rng.integers(0, 256, size=(3, 4, 2)).astype(np.uint8), mode='LA'))
    return cases


def npy_cases(out):
    rng = np.random.default_rng(8)
    os.makedirs(os.path.join(out, 'npy'), exist_ok=True)
    cases = {}

    def save(name, arr, version=None):
        path = os.path.join(out, 'npy', name)
        with open(path, 'wb') as f:
            np.lib.format.write_array(f, arr, version=version)
        back = np.load(path)
        c = np.ascontiguousarray(back)
        cases[name] = {'dtype': str(back.dtype), 'shape': list(back.shape),
                       'values': [float(v) if back.dtype.kind == 'f' else int(v) for v in c.reshape(-1)]}

    save('f4.npy', rng.normal(size=(3, 4)).astype(np.float32))
    save('f8_v2.npy', rng.normal(size=(2, 3, 1)), version=(2, 0))
    save('i8_v3.npy', rng.integers(-2**40, 2**40, size=(5,)), version=(3, 0))
    save('u1.npy', rng.integers(0, 256, size=(2, 2)).astype(np.uint8))
    save('b1.npy', rng.uniform(size=(3, 2)) < 0.5)
    save('f2.npy', rng.normal(size=(4,)).astype(np.float16))
    save('fortran.npy', np.asfortranarray(rng.normal(size=(2, 3, 4)).astype(np.float32)))
    save('i4.npy', rng.integers(-100, 100, size=(2, 3)).astype('<i4'))
    with open(os.path.join(out, 'npy', 'big_endian.npy'), 'wb') as f:
        np.lib.format.write_array(f, np.arange(4, dtype='>f4'))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, cases in (('png', png_cases), ('npy', npy_cases)):
        golden = cases(a.out)
        with open(os.path.join(a.out, name, 'golden.json'), 'w') as f:
            json.dump(golden, f)
    print('wrote', a.out)


if __name__ == '__main__':
    main()
