"""Mistake: the stride is ignored in the backward pass: the gradients are gathered from and
scattered onto the input as if the stride were 1 (the patches cropped to grad_out's size).

expect: stride was ignored
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    """The forward pass (given): (N, C_in, H, W) x (C_out, C_in, kH, kW) -> (N, C_out, H_out, W_out)."""
    x_padded = F.pad(x, (padding, padding, padding, padding))
    kh, kw = weight.shape[-2:]
    patches = x_padded.unfold(2, kh, stride).unfold(3, kw, stride)   # (N, C_in, H_out, W_out, kH, kW)
    out = torch.einsum("nchwuv,ocuv->nohw", patches, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def conv2d_backward(x: torch.Tensor, weight: torch.Tensor, grad_out: torch.Tensor,
                    stride: int = 1, padding: int = 0
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of a loss through `conv2d(x, weight, bias, stride, padding)`.

    Args:
        x: (N, C_in, H, W) the forward input.
        weight: (C_out, C_in, kH, kW) the filters.
        grad_out: (N, C_out, H_out, W_out) the gradient of the loss w.r.t. the forward output.
        stride, padding: as in the forward pass.

    Returns:
        (grad_x, grad_w, grad_b) of shapes (N, C_in, H, W), (C_out, C_in, kH, kW) and (C_out,).
    """
    _, _, h, w = x.shape
    kh, kw = weight.shape[-2:]
    h_out, w_out = grad_out.shape[-2:]
    x_padded = F.pad(x, (padding, padding, padding, padding))

    # The bias touches every output of its channel: sum over the batch and the positions.
    grad_b = grad_out.sum(dim=(0, 2, 3))

    # Each weight entry met one entry of every patch: correlate the patches with grad_out,
    # summing over the batch and the positions.
    patches = x_padded.unfold(2, kh, 1).unfold(3, kw, 1)[:, :, :h_out, :w_out]
    grad_w = torch.einsum("nohw,nchwuv->ocuv", grad_out, patches)

    # Each output position sends grad_out * filter back onto the patch it came from; patches
    # overlap, so the contributions add up. One strided slice per kernel offset (u, v).
    grad_patches = torch.einsum("nohw,ocuv->nchwuv", grad_out, weight)  # (N, C_in, H_out, W_out, kH, kW)
    grad_x_padded = torch.zeros_like(x_padded)
    for u in range(kh):
        for v in range(kw):
            grad_x_padded[:, :, u:u + h_out, v:v + w_out] += grad_patches[..., u, v]

    # The padding was not an input: cut it off.
    grad_x = grad_x_padded[:, :, padding:padding + h, padding:padding + w]
    return grad_x, grad_w, grad_b
