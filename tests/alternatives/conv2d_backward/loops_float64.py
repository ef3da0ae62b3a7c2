"""A valid alternative: a loop over output positions, each vectorised over the batch and the
channels, computed and returned in float64."""
from __future__ import annotations

import torch


def conv2d_backward(x: torch.Tensor, weight: torch.Tensor, grad_out: torch.Tensor,
                    stride: int = 1, padding: int = 0
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x, weight, grad_out = x.double(), weight.double(), grad_out.double()
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = grad_out.shape[-2:]
    x_padded = torch.zeros(n, c_in, h + 2 * padding, w + 2 * padding, dtype=torch.float64)
    x_padded[:, :, padding:padding + h, padding:padding + w] = x
    grad_x_padded = torch.zeros_like(x_padded)
    grad_w = torch.zeros_like(weight)
    for i in range(h_out):
        for j in range(w_out):
            rows = slice(i * stride, i * stride + kh)
            cols = slice(j * stride, j * stride + kw)
            g = grad_out[:, :, i, j]                                          # (N, C_out)
            grad_w += torch.einsum("no,nchw->ochw", g, x_padded[:, :, rows, cols])
            grad_x_padded[:, :, rows, cols] += torch.einsum("no,ochw->nchw", g, weight)
    grad_b = grad_out.sum(dim=(0, 2, 3))
    return grad_x_padded[:, :, padding:padding + h, padding:padding + w].clone(), grad_w, grad_b
