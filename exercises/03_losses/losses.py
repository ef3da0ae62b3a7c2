"""Loss functions from tensor operations.

A loss turns predictions and targets into one number to minimise. Each loss here first computes a
per-entry loss, then applies a `reduction`: "mean" averages the entries, "sum" adds them, "none"
returns them as they are (same shape as the per-entry loss). kl_div also has "batchmean": the sum
divided by the batch size (the first dimension), which is the true KL divergence per sample. Any
other reduction is a mistake the caller should hear about: raise ValueError.

Regression losses, on `pred` and `target` of the same (any) shape, with d = pred - target:
    mae        |d|
    mse        d²
    smooth_l1  0.5·d²/beta where |d| < beta, else |d| - 0.5·beta   (quadratic near 0, then linear)

Classification losses, on a batch of N samples and C classes, `target` holding class ids (N,):
    nll(log_probs, target)    -log_probs[i, target[i]]  for each sample i (log_probs: (N, C))
    cross_entropy(logits, t)  nll(log_softmax(logits), t), with log_softmax over the classes:
                              log_softmax(x)_j = x_j - logsumexp(x),  logsumexp(x) = log Σ_k exp(x_k)
Computing exp(x) directly overflows for x ≈ 1000 (exp(1000) = inf in float32 and float64). The
max-shift fixes it: with m = max_k x_k, logsumexp(x) = m + log Σ_k exp(x_k - m), and every
exponent is now ≤ 0. Example: x = [1000, 1001] → m = 1001, logsumexp = 1001 + log(e⁻¹ + 1) ≈ 1001.3133.

Distributions:
    kl_div(log_q, p)   p·(log p - log_q) per entry, torch's convention: the first argument is the
                       model's LOG-probabilities, the second the target probabilities; 0·log 0 = 0.
    binary_cross_entropy(probs, y)   -(y·log p + (1 - y)·log(1 - p)), with each log clamped at
                       -100 as torch does, so p = 0 or 1 gives a large finite loss, never inf/nan.
                       Clamp the LOG, not the probability: log(0) counts as -100, so p = 0 with
                       y = 1 costs exactly 100 (clamping p at some eps would give -log(eps)).
                       Mind the gradient too: log(p).clamp(min=-100) has the right value, but
                       its backward at p = 0 is 0 · (1/0) = nan. Keep 0 away from log and put
                       the -100 in with where:
                           safe = torch.where(p > 0, p, 1.0)          # log never sees 0
                           torch.where(p > 0, safe.log(), -100.0).clamp(min=-100)
                       (and the same for 1 - p): the values are torch's, and the gradient is
                       finite at p = 0 and p = 1.

Tensor operations only: torch.nn (torch.nn.functional included), torch.logsumexp, log_softmax,
softmax and torch.special are off limits here. Build everything from exp, log, max, sum, abs,
gather, where and clamp; autograd then gives the gradients for free. The reduction is applied
last; every function accepts `reduction` as a keyword.

Worked example: pred = [1.5, 2, 5], target = [1, 3, 1] → d = [0.5, -1, 4]; mae = 5.5/3 ≈ 1.8333,
mse = 17.25/3 = 5.75, smooth_l1 (beta = 1) = mean(0.125, 0.5, 3.5) = 4.125/3 = 1.375.
"""
from __future__ import annotations

import torch

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """Apply "mean", "sum" or "none" to a per-entry loss; anything else raises ValueError."""
    # TODO: return loss.mean() for "mean", loss.sum() for "sum", loss itself for "none";
    #       raise ValueError (naming the valid choices) for anything else.
    raise NotImplementedError("_reduce: apply the reduction")


def _logsumexp(x: torch.Tensor, dim: int) -> torch.Tensor:
    """log(sum(exp(x))) along `dim` (kept, size 1), stable for large |x| by the max-shift."""
    # TODO: m = the maximum along dim (keepdim=True); return m + log(sum(exp(x - m))) along dim,
    #       keeping dim. Never call exp on x itself: exp(1000) is inf.
    raise NotImplementedError("_logsumexp: the max-shifted log-sum-exp")


def mae(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean absolute error: |pred - target| per entry. pred, target: same shape (any)."""
    # TODO: |pred - target| per entry, then _reduce
    raise NotImplementedError("mae")


def mse(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean squared error: (pred - target)² per entry. pred, target: same shape (any)."""
    # TODO: (pred - target)² per entry, then _reduce
    raise NotImplementedError("mse")


def smooth_l1(pred: torch.Tensor, target: torch.Tensor, beta: float = 1.0,
              reduction: str = "mean") -> torch.Tensor:
    """Smooth L1 (Huber-like): 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta; d = pred - target."""
    # TODO: with a = |pred - target|: 0.5·a²/beta where a < beta, else a - 0.5·beta
    #       (torch.where picks per entry); beta = 0 is plain L1. Then _reduce.
    raise NotImplementedError("smooth_l1")


def nll(log_probs: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood: -log_probs[i, target[i]]. log_probs (N, C), target (N,) class ids."""
    # TODO: pick log_probs[i, target[i]] for every sample i (gather along dim 1), negate, _reduce
    raise NotImplementedError("nll")


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """nll of the log-softmax over the classes. logits (N, C), target (N,) class ids."""
    # TODO: log_probs = logits - _logsumexp(logits, dim=1); then nll(log_probs, target, reduction)
    raise NotImplementedError("cross_entropy")


def kl_div(log_q: torch.Tensor, p: torch.Tensor, reduction: str = "batchmean") -> torch.Tensor:
    """KL(p ‖ q) per entry: p·(log p - log_q), 0 where p is 0. log_q, p: same shape, batch first."""
    # TODO: p·(log p - log_q) per entry, with 0 where p is 0 (torch.xlogy(p, p) is p·log p with
    #       0·log 0 = 0). "batchmean": the sum divided by log_q.shape[0]; otherwise _reduce.
    raise NotImplementedError("kl_div")


def binary_cross_entropy(probs: torch.Tensor, target: torch.Tensor,
                         reduction: str = "mean") -> torch.Tensor:
    """-(y·log p + (1 - y)·log(1 - p)) with each log clamped at -100. probs, target: same shape."""
    # TODO: -(target·log p + (1 - target)·log(1 - p)), each log clamped at -100 so that p = 0
    #       or 1 stays finite, in values AND gradients (see the docstring): for x = p and 1 - p,
    #           safe = torch.where(x > 0, x, 1.0)
    #           log_x = torch.where(x > 0, safe.log(), -100.0).clamp(min=-100)
    #       (a bare x.log().clamp(min=-100) gives nan gradients at 0). Then _reduce.
    raise NotImplementedError("binary_cross_entropy")
