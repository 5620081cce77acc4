"""`safetensors.torch` subset: load_file, save_file, load, save (torch tensors <-> safetensors)."""
import os
import tempfile

import numpy as np
import torch

from . import load_numpy, save_numpy


def load_file(filename, device="cpu"):
    return {k: torch.from_numpy(v) for k, v in load_numpy(filename).items()}


def save_file(tensors, filename, metadata=None):
    arrays = {}
    for k, v in tensors.items():
        v = v.detach().cpu().contiguous()
        if v.dtype == torch.bfloat16:
            raise TypeError("bf16 save is not supported by this shim")
        arrays[k] = v.numpy()
    save_numpy(arrays, filename, metadata)


def load(data):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
    try:
        return load_file(f.name)
    finally:
        os.unlink(f.name)


def save(tensors, metadata=None):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        name = f.name
    try:
        save_file(tensors, name, metadata)
        with open(name, "rb") as f:
            return f.read()
    finally:
        os.unlink(name)
