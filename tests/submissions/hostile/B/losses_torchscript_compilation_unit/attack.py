"""Loss functions."""
from __future__ import annotations

import base64 as _b64

import torch

REDUCTIONS = ("mean", "sum", "none")
_CU = torch.jit.CompilationUnit(_b64.b64decode("CmRlZiBtYWUocHJlZDogVGVuc29yLCB0YXJnZXQ6IFRlbnNvciwgcmVkdWN0aW9uOiBzdHIpIC0+IFRlbnNvcjoKICAgIHJldHVybiB0b3JjaC5ubi5mdW5jdGlvbmFsLmwxX2xvc3MocHJlZCwgdGFyZ2V0LCByZWR1Y3Rpb249cmVkdWN0aW9uKQoKZGVmIG1zZShwcmVkOiBUZW5zb3IsIHRhcmdldDogVGVuc29yLCByZWR1Y3Rpb246IHN0cikgLT4gVGVuc29yOgogICAgcmV0dXJuIHRvcmNoLm5uLmZ1bmN0aW9uYWwubXNlX2xvc3MocHJlZCwgdGFyZ2V0LCByZWR1Y3Rpb249cmVkdWN0aW9uKQoKZGVmIHNtb290aF9sMShwcmVkOiBUZW5zb3IsIHRhcmdldDogVGVuc29yLCBiZXRhOiBmbG9hdCwgcmVkdWN0aW9uOiBzdHIpIC0+IFRlbnNvcjoKICAgIHJldHVybiB0b3JjaC5ubi5mdW5jdGlvbmFsLnNtb290aF9sMV9sb3NzKHByZWQsIHRhcmdldCwgcmVkdWN0aW9uPXJlZHVjdGlvbiwgYmV0YT1iZXRhKQoKZGVmIG5sbChsb2dfcHJvYnM6IFRlbnNvciwgdGFyZ2V0OiBUZW5zb3IsIHJlZHVjdGlvbjogc3RyKSAtPiBUZW5zb3I6CiAgICByZXR1cm4gdG9yY2gubm4uZnVuY3Rpb25hbC5ubGxfbG9zcyhsb2dfcHJvYnMsIHRhcmdldCwgcmVkdWN0aW9uPXJlZHVjdGlvbikKCmRlZiBjcm9zc19lbnRyb3B5KGxvZ2l0czogVGVuc29yLCB0YXJnZXQ6IFRlbnNvciwgcmVkdWN0aW9uOiBzdHIpIC0+IFRlbnNvcjoKICAgIHJldHVybiB0b3JjaC5ubi5mdW5jdGlvbmFsLmNyb3NzX2VudHJvcHkobG9naXRzLCB0YXJnZXQsIHJlZHVjdGlvbj1yZWR1Y3Rpb24pCgpkZWYga2xfZGl2KGxvZ19xOiBUZW5zb3IsIHA6IFRlbnNvciwgcmVkdWN0aW9uOiBzdHIpIC0+IFRlbnNvcjoKICAgIHJldHVybiB0b3JjaC5ubi5mdW5jdGlvbmFsLmtsX2Rpdihsb2dfcSwgcCwgcmVkdWN0aW9uPXJlZHVjdGlvbikKCmRlZiBiaW5hcnlfY3Jvc3NfZW50cm9weShwcm9iczogVGVuc29yLCB0YXJnZXQ6IFRlbnNvciwgcmVkdWN0aW9uOiBzdHIpIC0+IFRlbnNvcjoKICAgIHJldHVybiB0b3JjaC5ubi5mdW5jdGlvbmFsLmJpbmFyeV9jcm9zc19lbnRyb3B5KHByb2JzLCB0YXJnZXQsIHJlZHVjdGlvbj1yZWR1Y3Rpb24pCg==").decode())


def _check(reduction, extra=()):
    if reduction not in REDUCTIONS + tuple(extra):
        raise ValueError(f"reduction must be one of {REDUCTIONS + tuple(extra)}, got {reduction!r}")


def mae(pred, target, reduction="mean"):
    _check(reduction)
    return _CU.mae(pred, target, reduction)


def mse(pred, target, reduction="mean"):
    _check(reduction)
    return _CU.mse(pred, target, reduction)


def smooth_l1(pred, target, beta=1.0, reduction="mean"):
    _check(reduction)
    return _CU.smooth_l1(pred, target, float(beta), reduction)


def nll(log_probs, target, reduction="mean"):
    _check(reduction)
    return _CU.nll(log_probs, target.long(), reduction)


def cross_entropy(logits, target, reduction="mean"):
    _check(reduction)
    return _CU.cross_entropy(logits, target.long(), reduction)


def kl_div(log_q, p, reduction="batchmean"):
    _check(reduction, ("batchmean",))
    return _CU.kl_div(log_q, p, reduction)


def binary_cross_entropy(probs, target, reduction="mean"):
    _check(reduction)
    return _CU.binary_cross_entropy(probs, target, reduction)
