"""Mistake: the maximum is taken over the window positions (dims 2, 3 of the unfolded tensor) instead of
within each window, so the output has shape (N, C, k, k).

expect: the maximum was taken over the window positions
"""
from __future__ import annotations

import torch


def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """The largest value of every kernel_size x kernel_size window, like `F.max_pool2d`.

    Args:
        x: (N, C, H, W) input.
        kernel_size: the side of the square window.
        stride: step between two windows; None means kernel_size.

    Returns:
        (N, C, H_out, W_out) with H_out = (H - kernel_size) // stride + 1, same for W_out.
    """
    if stride is None:
        stride = kernel_size
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)  # (N, C, H_out, W_out, k, k)
    return windows.amax(dim=(2, 3))


def min_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """The smallest value of every kernel_size x kernel_size window, like `-F.max_pool2d(-x)`.

    Args and returns as for `max_pool2d`.
    """
    return -max_pool2d(-x, kernel_size, stride)
