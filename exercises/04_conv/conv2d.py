"""2-D convolution from tensor operations.

A convolution layer slides a small stack of filters over an image. At every position it takes
the patch of the input under the filter, multiplies it entry by entry with the filter and sums:

    out[n, o, i, j] = bias[o] + sum over c, u, v of
                      x_padded[n, c, i*stride + u, j*stride + v] * weight[o, c, u, v]

Shapes: x is (N, C_in, H, W), weight is (C_out, C_in, kH, kW), bias is (C_out,) or None, and the
output is (N, C_out, H_out, W_out) with

    H_out = (H + 2*padding - kH) // stride + 1        (and the same for W_out)

`padding` adds that many rows/columns of zeros on every side of the image first; `stride` is the
step between two neighbouring positions of the filter. Note that the filter is NOT flipped: what
deep learning calls "convolution" is, in signal-processing terms, a cross-correlation. Each output
channel o has its own filter weight[o] spanning all input channels, and its own bias[o].

Tiny example (one image, one channel, one 2 x 2 filter, stride 1, no padding):

    x = [[1, 2, 3],        weight = [[1, 2],        out = [[37, 47],
         [4, 5, 6],                  [3, 4]]               [67, 77]]
         [7, 8, 9]]

    out[0][0] = 1*1 + 2*2 + 4*3 + 5*4 = 37,  out[0][1] = 2*1 + 3*2 + 5*3 + 6*4 = 47, ...

Python loops over pixels are far too slow (a batch of 8 x 3 x 32 x 32 images with 16 filters of
3 x 3 would need millions of steps). Instead, gather every patch at once: `Tensor.unfold(dim,
size, step)` cuts a dimension into windows, so after padding

    patches = x_padded.unfold(2, kH, stride).unfold(3, kW, stride)   # (N, C_in, H_out, W_out, kH, kW)

and the convolution is one multiply-and-sum of the patches with the filters over (C_in, kH, kW),
for example with `torch.einsum` or a reshape followed by a matrix product. Built from tensor
operations only, the result records history, so autograd can differentiate through it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Cross-correlate a batch of images with a bank of filters, like `F.conv2d`.

    Args:
        x: (N, C_in, H, W) input images.
        weight: (C_out, C_in, kH, kW) filters.
        bias: (C_out,) one value per output channel, or None.
        stride: step between two positions of the filter (the same along H and W).
        padding: zeros added on each of the four sides (the same along H and W).

    Returns:
        (N, C_out, H_out, W_out) with H_out = (H + 2*padding - kH) // stride + 1, same for W_out.
    """
    # TODO: pad x with `padding` zeros on each side of H and W (F.pad takes (left, right, top, bottom)).
    # TODO: cut out every kH x kW patch at the given stride with Tensor.unfold, twice:
    #       the result has shape (N, C_in, H_out, W_out, kH, kW).
    # TODO: multiply the patches with the filters and sum over (C_in, kH, kW), giving
    #       (N, C_out, H_out, W_out); torch.einsum or a reshape + matmul both work.
    # TODO: if bias is given, add bias[o] to every entry of output channel o.
    raise NotImplementedError("conv2d: pad, unfold into patches, multiply with the filters and sum, add the bias")
