"""Mistake: the partial windows at the bottom and right edges are kept (ceil mode) instead of
dropped (floor mode), so odd sizes give one row or column too many.

expect: floor mode
"""
from __future__ import annotations

import torch


def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    if stride is None:
        stride = kernel_size
    h, w = x.shape[-2:]
    h_out = -(-(h - kernel_size) // stride) + 1
    w_out = -(-(w - kernel_size) // stride) + 1
    rows = []
    for i in range(h_out):
        row = []
        for j in range(w_out):
            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            row.append(window.amax(dim=(-2, -1)))
        rows.append(torch.stack(row, dim=-1))
    return torch.stack(rows, dim=-2)


def min_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    return -max_pool2d(-x, kernel_size, stride)
