"""Alternative: computes in float64 (and returns float64), masks with torch.where, indexes with
arange instead of gather, a detached max in the log-sum-exp, and smooth L1 by the clamp identity."""
from __future__ import annotations

import torch


def _reduce(loss, reduction, batch=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return torch.sum(loss)
    if reduction == "mean":
        return torch.mean(loss)
    if reduction == "batchmean" and batch is not None:
        return torch.sum(loss) / batch
    raise ValueError(f"unknown reduction: {reduction}")


def mae(pred, target, reduction="mean"):
    return _reduce(torch.abs(pred.double() - target.double()), reduction)


def mse(pred, target, reduction="mean"):
    d = pred.double() - target.double()
    return _reduce(d * d, reduction)


def smooth_l1(pred, target, beta=1.0, reduction="mean"):
    a = torch.abs(pred.double() - target.double())
    if beta == 0:
        return _reduce(a, reduction)
    q = torch.clamp(a, max=beta)
    return _reduce(q * (a - 0.5 * q) / beta, reduction)


def nll(log_probs, target, reduction="mean"):
    rows = torch.arange(log_probs.shape[0])
    return _reduce(-log_probs.double()[rows, target], reduction)


def cross_entropy(logits, target, reduction="mean"):
    x = logits.double()
    m = torch.amax(x, dim=1, keepdim=True).detach()
    log_probs = x - m - torch.log(torch.sum(torch.exp(x - m), dim=1, keepdim=True))
    return nll(log_probs, target, reduction)


def kl_div(log_q, p, reduction="batchmean"):
    p64, lq = p.double(), log_q.double()
    safe_log_p = torch.log(torch.where(p64 > 0, p64, torch.ones_like(p64)))
    loss = torch.where(p64 > 0, p64 * (safe_log_p - lq), torch.zeros_like(lq))
    return _reduce(loss, reduction, batch=log_q.shape[0])


def binary_cross_entropy(probs, target, reduction="mean"):
    p, y = probs.double(), target.double()
    floor = torch.tensor(-100.0, dtype=torch.float64)
    loss = -(y * torch.maximum(torch.log(p), floor) + (1 - y) * torch.maximum(torch.log1p(-p), floor))
    return _reduce(loss, reduction)
