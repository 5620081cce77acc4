"""Pure-Python subset of the safetensors API (format: 8-byte LE header length, JSON header, raw data)."""
import json
import struct

import numpy as np

__version__ = "0.4.0-pure"

_NP = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}


class SafetensorError(Exception):
    pass


def _read_header(f):
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    return header, 8 + n


def load_numpy(path):
    with open(path, "rb") as f:
        header, base = _read_header(f)
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = info["dtype"]
        if dt == "BF16":
            raw = np.frombuffer(data[a:b], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[a:b], dtype=_NP[dt])
        out[name] = arr.reshape(info["shape"]).copy()
    return out


def save_numpy(tensors, path, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    off = 0
    inv = {v: k for k, v in _NP.items()}
    for name in sorted(tensors):
        arr = np.array(tensors[name], order="C")  # ascontiguousarray would turn 0-d into shape [1]
        raw = arr.tobytes()
        header[name] = {"dtype": inv[arr.dtype.type], "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)
