"""A valid alternative: im2col. The forward is a matrix product of the filters with the unfolded
patches, so the backward is two matrix products, and F.fold adds the patch gradients back onto
the image (summing overlaps and dropping the padding)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def conv2d_backward(x: torch.Tensor, weight: torch.Tensor, grad_out: torch.Tensor,
                    stride: int = 1, padding: int = 0
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)        # (N, C_in*kH*kW, L)
    g = grad_out.reshape(n, c_out, -1)                                   # (N, C_out, L)
    w_mat = weight.reshape(c_out, -1)                                    # (C_out, C_in*kH*kW)
    grad_w = (g @ cols.transpose(1, 2)).sum(0).reshape(weight.shape)
    grad_cols = w_mat.t() @ g                                            # (N, C_in*kH*kW, L)
    grad_x = F.fold(grad_cols, (h, w), (kh, kw), padding=padding, stride=stride)
    grad_b = g.sum(dim=(0, 2))
    return grad_x, grad_w, grad_b
