"""Alternative: one sample at a time with Python loops for the classification losses, and an
explicit if/elif chain checking the reduction before any work."""
from __future__ import annotations

import torch

VALID = {"mean", "sum", "none"}


def _check(reduction, extra=()):
    if reduction not in VALID and reduction not in extra:
        raise ValueError(f"reduction {reduction!r} is not supported")


def _apply(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def mae(pred, target, reduction="mean"):
    _check(reduction)
    return _apply((pred - target).abs(), reduction)


def mse(pred, target, reduction="mean"):
    _check(reduction)
    return _apply((pred - target).pow(2), reduction)


def smooth_l1(pred, target, beta=1.0, reduction="mean"):
    _check(reduction)
    a = (pred - target).abs()
    if beta == 0:
        return _apply(a, reduction)
    small = (a < beta).to(a.dtype)
    loss = small * (0.5 * a * a / beta) + (1 - small) * (a - 0.5 * beta)
    return _apply(loss, reduction)


def nll(log_probs, target, reduction="mean"):
    _check(reduction)
    per_sample = torch.stack([-log_probs[i, int(target[i])] for i in range(log_probs.shape[0])])
    return _apply(per_sample, reduction)


def cross_entropy(logits, target, reduction="mean"):
    _check(reduction)
    rows = []
    for i in range(logits.shape[0]):
        row = logits[i]
        m = row.max()
        lse = m + torch.log(torch.exp(row - m).sum())
        rows.append(lse - row[int(target[i])])
    return _apply(torch.stack(rows), reduction)


def kl_div(log_q, p, reduction="batchmean"):
    _check(reduction, extra=("batchmean",))
    p_log_p = torch.xlogy(p, p)
    loss = p_log_p - p * log_q
    if reduction == "batchmean":
        return loss.sum() / log_q.size(0)
    return _apply(loss, reduction)


def binary_cross_entropy(probs, target, reduction="mean"):
    _check(reduction)
    log_p = torch.clamp(torch.log(probs), min=-100.0)
    log_q = torch.clamp(torch.log(1.0 - probs), min=-100.0)
    return _apply(-(target * log_p + (1.0 - target) * log_q), reduction)
