"""A valid alternative: a loop over output rows, each row vectorised over the batch, the channels,
the columns and the kernel; padding written into a zero tensor instead of F.pad."""
from __future__ import annotations

import torch


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out = (h + 2 * padding - kh) // stride + 1
    x_padded = x.new_zeros(n, c_in, h + 2 * padding, w + 2 * padding)
    x_padded[:, :, padding:padding + h, padding:padding + w] = x
    rows = []
    for i in range(h_out):
        band = x_padded[:, :, i * stride:i * stride + kh, :]              # (N, C_in, kH, W_pad)
        windows = band.unfold(3, kw, stride)                               # (N, C_in, kH, W_out, kW)
        rows.append(torch.einsum("ncuwv,ocuv->now", windows, weight))      # (N, C_out, W_out)
    out = torch.stack(rows, dim=2)                                         # (N, C_out, H_out, W_out)
    if bias is not None:
        out = out + bias.reshape(1, c_out, 1, 1)
    return out
