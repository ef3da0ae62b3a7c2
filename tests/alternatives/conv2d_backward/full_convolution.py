"""A valid alternative: grad_x as a "full" convolution of the stride-dilated grad_out with the
flipped, channel-swapped filters (using the given forward conv2d), grad_w as a cross-correlation
of x_padded with the dilated grad_out (also with conv2d, batch and channels swapped)."""
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
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = grad_out.shape[-2:]

    # grad_out with stride - 1 zeros between neighbouring entries.
    dilated = grad_out.new_zeros(n, c_out, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1)
    dilated[:, :, ::stride, ::stride] = grad_out

    # grad_x: full convolution with the flipped, transposed kernel.
    kernel = weight.flip(2, 3).transpose(0, 1)
    full = conv2d(F.pad(dilated, (kw - 1, kw - 1, kh - 1, kh - 1)), kernel)   # rows a patch covers
    grad_x_padded = x.new_zeros(n, c_in, h + 2 * padding, w + 2 * padding)
    grad_x_padded[:, :, :full.shape[2], :full.shape[3]] = full
    grad_x = grad_x_padded[:, :, padding:padding + h, padding:padding + w]

    # grad_w[o, c] = x_padded[:, c] cross-correlated with dilated[:, o], summed over the batch:
    # a conv2d with the batch axis playing the role of the channels.
    x_padded = F.pad(x, (padding, padding, padding, padding))
    x_padded = x_padded[:, :, :dilated.shape[2] + kh - 1, :dilated.shape[3] + kw - 1]
    grad_w = conv2d(x_padded.transpose(0, 1), dilated.transpose(0, 1)).transpose(0, 1)

    grad_b = grad_out.sum(dim=(0, 2, 3))
    return grad_x, grad_w, grad_b
