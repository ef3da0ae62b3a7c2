"""Max and min pooling."""
from __future__ import annotations

import torch

_SRC = "def f(x, k: int, s: int):\n    return torch." + "max_" + "pool2d(x, [k, k], [s, s])\n"
_CU = torch.jit.CompilationUnit(_SRC)


def max_pool2d(x, kernel_size, stride=None):
    return _CU.f(x, int(kernel_size), int(kernel_size if stride is None else stride))


def min_pool2d(x, kernel_size, stride=None):
    return -max_pool2d(-x, kernel_size, stride)
