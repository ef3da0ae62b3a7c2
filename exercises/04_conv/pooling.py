"""Max and min pooling.

Pooling shrinks a feature map by summarising each small window with one number. Max pooling
keeps the largest value of every kernel_size x kernel_size window, min pooling the smallest. Each
channel of each image is pooled on its own:

    out[n, c, i, j] = max over u, v < kernel_size of x[n, c, i*stride + u, j*stride + v]

Shapes: x is (N, C, H, W), the output (N, C, H_out, W_out) with

    H_out = (H - kernel_size) // stride + 1        (and the same for W_out)

`stride` defaults to `kernel_size`: the windows tile the image without overlapping. A smaller
stride makes them overlap. Rows or columns left over at the bottom and right, too few to fill a
whole window, are dropped (torch calls this "floor mode").

Tiny example (kernel_size 2, default stride 2, a 1 x 1 x 3 x 4 input: the last row is dropped):

    x = [[1, 5, 2, 0],       max_pool2d(x, 2) = [[6, 4]]      min_pool2d(x, 2) = [[1, 0]]
         [3, 6, 4, 1],
         [9, 9, 9, 9]]

No Python loops over pixels are needed: `Tensor.unfold(dim, size, step)` cuts a dimension into
windows, so `x.unfold(2, k, s).unfold(3, k, s)` has shape (N, C, H_out, W_out, k, k) and one
reduction over its last two axes pools every window at once. Built from tensor operations, the
result records history: in the backward pass, the gradient of each output goes to the element
its window chose (the maximum or the minimum), and the other elements get 0.

Ties: when several elements of a window share the maximum, `F.max_pool2d` still chooses ONE of
them, the first in reading order (row by row), and gives it the whole gradient. Flatten each
window and take `.max(dim=-1)` (values and indices): it picks that same first element, so its
gradient matches torch's. `torch.amax` / `amin` (and `torch.maximum` / `minimum`) are not the
same: their backward splits the gradient evenly between the tied elements. With a window
[[1, 3], [3, 0]] and an upstream gradient of 1, `.max(dim=-1)` gives [[0, 1], [0, 0]] like
`F.max_pool2d`, while `amax` gives [[0, 0.5], [0.5, 0]].

Min pooling is max pooling in a mirror: min(a, b) = -max(-a, -b).
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
    # TODO: use kernel_size as the stride when stride is None.
    # TODO: cut x into windows with Tensor.unfold along H (dim 2) and W (dim 3):
    #       shape (N, C, H_out, W_out, k, k).
    # TODO: take the maximum over each window (its last two axes): flatten them into one
    #       (.flatten(start_dim=-2)) and use .max(dim=-1).values, which sends a tied maximum's
    #       whole gradient to one element as F.max_pool2d does (amax would split it).
    raise NotImplementedError("max_pool2d: unfold x into windows and take the maximum of each")


def min_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """The smallest value of every kernel_size x kernel_size window, like `-F.max_pool2d(-x)`.

    Args and returns as for `max_pool2d`.
    """
    # TODO: the smallest value of each window (one line is enough: see the note on mirrors above).
    raise NotImplementedError("min_pool2d: the minimum of each window")
