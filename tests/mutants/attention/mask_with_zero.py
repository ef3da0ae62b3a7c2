"""Mutant: masked scores are set to 0 instead of -inf before the softmax.

expect: instead of -inf
"""
from __future__ import annotations

import math

import torch
from torch import nn


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None
                                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q @ k.T / sqrt(d)) @ v, and the weights.

    q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv); mask None or bool, broadcastable to
    (..., Lq, Lk), True = may attend. Returns out (..., Lq, dv) and weights (..., Lq, Lk), in the
    inputs' dtype; a masked position gets weight exactly 0.
    """
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def causal_mask(length: int) -> torch.Tensor:
    """bool (length, length): True on and below the diagonal (position i sees 0..i)."""
    return torch.tril(torch.ones(length, length, dtype=torch.bool))


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with num_heads heads: x (N, T, d_model) -> (N, T, d_model)."""

    def __init__(self, d_model: int, num_heads: int) -> None:
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

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        """(N, T, d_model) -> (N, num_heads, T, head_dim)."""
        n, length, _ = t.shape
        return t.view(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (N, T, d_model); mask None or bool broadcastable to (N, num_heads, T, T), True = may attend."""
        n, length, _ = x.shape
        q = self._split(self.q_proj(x))
        k = self._split(self.k_proj(x))
        v = self._split(self.v_proj(x))
        heads, _ = scaled_dot_product_attention(q, k, v, mask)        # (N, num_heads, T, head_dim)
        merged = heads.transpose(1, 2).reshape(n, length, self.d_model)
        return self.out_proj(merged)
