"""Attention: every position looks at every other one and takes a weighted mix of what it finds.

A query q asks, a key k answers how well it fits, a value v is what gets passed on. With the
queries as rows of q (Lq, d), the keys as rows of k (Lk, d) and the values as rows of v (Lk, dv):

    scores  = q @ k.T / sqrt(d)              (Lq, Lk): how well query i fits key j
    weights = softmax(scores) over the keys  (Lq, Lk): every row is >= 0 and sums to 1
    out     = weights @ v                    (Lq, dv): query i's mix of the values

The division by sqrt(d) keeps the scores of d-dimensional vectors at about unit size, so the
softmax does not saturate into a one-hot choice as d grows (divide by sqrt(d), not by d). The
softmax runs over the last axis, the keys: each query spreads one unit of attention over them.
Any leading dims (batch, heads, ...) simply come along: q (..., Lq, d) gives out (..., Lq, dv).

A mask says which keys a query may attend to (bool, True = may attend), for instance
`causal_mask(T)`: position i sees positions 0..i, never the future. Masked scores are set to
-inf *before* the softmax, so they get a weight of exactly 0 and the remaining weights still sum
to 1. A score of 0 is not "off" (exp(0) = 1), and zeroing weights after the softmax leaves rows
that no longer sum to 1. The mask broadcasts like any tensor: (Lq, Lk) serves every batch.

Worked example (d = 4, so the scores are q @ k.T / 2):
    q = [[2, 0, 0, 0], [0, 2, 0, 0]], k = [[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]],
    v = [[1, 0], [0, 1], [1, 1]]
    scores  = [[1, 0, 1], [0, 1, 1]]
    weights = [[0.4223, 0.1554, 0.4223], [0.1554, 0.4223, 0.4223]]
    out     = [[0.8446, 0.5777], [0.5777, 0.8446]]
With mask = [[True, True, False], [True, True, True]] the first query may not see key 2:
    weights = [[0.7311, 0.2689, 0.0], [0.1554, 0.4223, 0.4223]],  out[0] = [0.7311, 0.2689].

Multi-head self-attention runs several attentions side by side on one sequence x (N, T, D).
Four nn.Linear(D, D) layers: q_proj, k_proj and v_proj make the queries, keys and values from
the same x; each (N, T, D) is cut into num_heads heads of D // num_heads features,

    (N, T, D) -view-> (N, T, num_heads, D // num_heads) -transpose(1, 2)-> (N, num_heads, T, D // num_heads)

so that every head is a separate attention over the time axis (scaled by sqrt(D // num_heads),
the size of one head). The heads' outputs are put back side by side, the inverse steps
(transpose(1, 2), then reshape to (N, T, D)), and mixed by out_proj. A plain view to
(N, num_heads, T, D // num_heads) without the transpose cuts the sequence, not the features.
This is `nn.MultiheadAttention(D, num_heads, batch_first=True)`, with its in_proj split in three.
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
    # TODO: scores = q @ k.transpose(-2, -1) / math.sqrt(d), with d = q.shape[-1] (the last two
    #       axes are transposed, so any leading dims stay where they are);
    #       where mask is False, set the score to float("-inf") *before* the softmax
    #       (scores.masked_fill(~mask, ...));
    #       weights = softmax over the last axis (the keys); return (weights @ v, weights).
    raise NotImplementedError("scaled_dot_product_attention")


def causal_mask(length: int) -> torch.Tensor:
    """bool (length, length): True on and below the diagonal (position i sees 0..i)."""
    # TODO: a bool (length, length) tensor, True where column j <= row i (torch.tril of ones).
    raise NotImplementedError("causal_mask")


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with num_heads heads: x (N, T, d_model) -> (N, T, d_model)."""

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        # TODO: raise ValueError when d_model is not divisible by num_heads; keep
        #       head_dim = d_model // num_heads; create four nn.Linear(d_model, d_model) layers
        #       named q_proj, k_proj, v_proj and out_proj (with their biases).
        raise NotImplementedError("MultiHeadSelfAttention.__init__")

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (N, T, d_model); mask None or bool broadcastable to (N, num_heads, T, T), True = may attend."""
        # TODO: project x with q_proj, k_proj, v_proj; split each (N, T, d_model) into heads:
        #       .view(N, T, num_heads, head_dim).transpose(1, 2) -> (N, num_heads, T, head_dim);
        #       run scaled_dot_product_attention(q, k, v, mask) on all heads at once; merge back
        #       with .transpose(1, 2).reshape(N, T, d_model) and apply out_proj.
        raise NotImplementedError("MultiHeadSelfAttention.forward")
