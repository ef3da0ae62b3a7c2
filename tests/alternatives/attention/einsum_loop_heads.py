"""Alternative: einsum for the products, masking with torch.where and torch.finfo(dtype).min, a
causal mask from an arange comparison, and one attention per head in a Python loop over feature
slices, the heads put back side by side with torch.cat (no view/transpose of the heads)."""
from __future__ import annotations

import math

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = torch.einsum("...id,...jd->...ij", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, torch.finfo(scores.dtype).min))
    weights = scores.softmax(dim=-1)
    if mask is not None:
        weights = torch.where(mask, weights, torch.zeros_like(weights))
    return torch.einsum("...ij,...jv->...iv", weights, v), weights


def causal_mask(length):
    positions = torch.arange(length)
    return positions[None, :] <= positions[:, None]


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        if d_model % num_heads:
            raise ValueError("num_heads must divide d_model")
        self.num_heads, self.head_dim = num_heads, d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x, mask=None):
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        n, length, _ = x.shape
        if mask is not None:
            mask = torch.broadcast_to(mask, (n, self.num_heads, length, length))
        outputs = []
        for h in range(self.num_heads):
            cut = slice(h * self.head_dim, (h + 1) * self.head_dim)
            out, _ = scaled_dot_product_attention(q[..., cut], k[..., cut], v[..., cut],
                                                  None if mask is None else mask[:, h])
            outputs.append(out)
        return self.out_proj(torch.cat(outputs, dim=-1))
