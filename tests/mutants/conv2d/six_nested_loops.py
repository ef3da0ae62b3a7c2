"""Mistake: six nested Python loops over images, output channels, rows, columns, input channels and
kernel entries. The values are right but it is hundreds of times too slow.

expect: too slow
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (w + 2 * padding - kw) // stride + 1
    x_padded = F.pad(x, (padding, padding, padding, padding))
    rows = []
    for b in range(n):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    total = bias[o] if bias is not None else x.new_zeros(())
                    for c in range(c_in):
                        for u in range(kh):
                            for v in range(kw):
                                total = total + x_padded[b, c, i * stride + u, j * stride + v] * weight[o, c, u, v]
                    rows.append(total)
    return torch.stack(rows).view(n, c_out, h_out, w_out)
