"""`safetensors.numpy` subset."""
from . import load_numpy as load_file, save_numpy as save_file  # noqa: F401
