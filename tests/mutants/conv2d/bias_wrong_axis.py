"""Mistake: the bias is added as `out + bias`, which broadcasts it along the last (width) axis
instead of the channel axis (and crashes when W_out differs from C_out).

expect: broadcast along the last
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
    # Zero padding on the left, right, top and bottom.
    x_padded = F.pad(x, (padding, padding, padding, padding))

    # Every kH x kW patch the filter visits, at the given stride.
    kh, kw = weight.shape[-2:]
    patches = x_padded.unfold(2, kh, stride).unfold(3, kw, stride)   # (N, C_in, H_out, W_out, kH, kW)

    # Multiply each patch with each filter and sum over (C_in, kH, kW).
    out = torch.einsum("nchwuv,ocuv->nohw", patches, weight)         # (N, C_out, H_out, W_out)

    # One bias per output channel, broadcast over the batch and the positions.
    if bias is not None:
        out = out + bias
    return out
