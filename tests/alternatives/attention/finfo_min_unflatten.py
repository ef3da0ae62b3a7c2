"""Alternative: F.softmax after masked_fill with torch.finfo(dtype).min through logical_not, the
scale folded into q first, causal_mask by tril_indices, and the heads split with unflatten +
swapaxes and merged with swapaxes + flatten; forward takes the mask by keyword."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None):
    q = q * (1.0 / math.sqrt(q.size(-1)))
    scores = torch.matmul(q, k.swapaxes(-1, -2))
    if mask is not None:
        scores = scores.masked_fill(mask.logical_not(), torch.finfo(scores.dtype).min)
    weights = F.softmax(scores, dim=-1)
    return torch.matmul(weights, v), weights


def causal_mask(length):
    mask = torch.zeros(length, length, dtype=torch.bool)
    rows, cols = torch.tril_indices(length, length)
    mask[rows, cols] = True
    return mask


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        if d_model % num_heads:
            raise ValueError("d_model % num_heads != 0")
        self.num_heads = num_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        q, k, v = (p(x).unflatten(-1, (self.num_heads, -1)).swapaxes(1, 2)
                   for p in (self.q_proj, self.k_proj, self.v_proj))
        out, _ = scaled_dot_product_attention(q, k, v, mask=mask)
        return self.out_proj(out.swapaxes(1, 2).flatten(-2))
