"""Alternative: computes in float64 and casts back to the inputs' dtype, a hand-written softmax
(max-shift, exp, divide by the sum) after masking with torch.where and -inf, bmm on flattened
leading dims, a causal mask from ones().tril().bool(), heads split with reshape + permute and merged
with permute + flatten."""
from __future__ import annotations

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None):
    dtype = q.dtype
    lead = q.shape[:-2]
    lq, d = q.shape[-2:]
    lk, dv = v.shape[-2:]
    q64 = q.to(torch.float64).reshape(-1, lq, d)
    k64 = k.to(torch.float64).reshape(-1, lk, d)
    v64 = v.to(torch.float64).reshape(-1, lk, dv)
    scores = torch.bmm(q64, k64.transpose(1, 2)) * d ** -0.5
    scores = scores.reshape(*lead, lq, lk)
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(float("-inf"), dtype=torch.float64))
    shifted = scores - scores.max(dim=-1, keepdim=True).values
    e = shifted.exp()
    weights = e / e.sum(dim=-1, keepdim=True)
    out = torch.bmm(weights.reshape(-1, lq, lk), v64).reshape(*lead, lq, dv)
    return out.to(dtype), weights.to(dtype)


def causal_mask(length):
    return torch.ones(length, length).tril().bool()


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        if d_model % num_heads != 0:
            raise ValueError(f"{num_heads} heads do not divide d_model = {d_model}")
        super().__init__()
        self.h = num_heads
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            setattr(self, name, nn.Linear(d_model, d_model, bias=True))

    def forward(self, x, mask=None):
        n, t, dm = x.shape

        def split(y):
            return y.reshape(n, t, self.h, dm // self.h).permute(0, 2, 1, 3)

        out, _ = scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)),
                                              split(self.v_proj(x)), mask)
        return self.out_proj(out.permute(0, 2, 1, 3).flatten(2))
