# A small safetensors file written by an independent writer (numpy + the repo's pure-Python shim in
# tools/python/safetensors, which follows the format spec), read back by src/safetensors.test.ts.
# usage: PYTHONPATH=tools/python /usr/bin/python3 packages/tensor/tools/golden-safetensors.py packages/tensor/src/fixtures/numpy-written.safetensors
import sys
import numpy as np
from safetensors.numpy import save_file

t = {
    "f32": np.array([[1.5, -2.0, 3.25], [0.0, 1e-8, -7.0]], dtype=np.float32),
    "f16": np.array([1.0, 65504.0, 2.0 ** -24, -0.5, np.inf], dtype=np.float16),
    "f64": np.array([np.pi, -1e300], dtype=np.float64),
    "i64": np.array([-(2 ** 62), 5, 2 ** 53 + 1], dtype=np.int64),
    "i32": np.array([[-2147483648, 2147483647]], dtype=np.int32),
    "i16": np.array([-32768, 32767, 1], dtype=np.int16),
    "i8": np.array([-128, 127], dtype=np.int8),
    "u8": np.array([0, 255, 7], dtype=np.uint8),
    "bool": np.array([True, False, True], dtype=np.bool_),
    "empty": np.zeros((0, 3), dtype=np.float32),
}
save_file(t, sys.argv[1], metadata={"format": "np", "made_by": "golden-safetensors.py"})
