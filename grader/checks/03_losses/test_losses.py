"""Hidden checks for exercises/03_losses/losses.py.

The oracle is torch.nn.functional, in the judge's process. The
inputs are made at import; every expected value, expected gradient and every known-wrong result
used to name a mistake is computed only after the learner's call has returned (Case.expected), so
no frame or global the learner's code can read holds them while it runs. Each check calls the
learner's loss on fresh copies of seeded inputs (several shapes, a batch of one included), compares
type, shape and dtype, then the value, then the gradient with respect to the first argument.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import pytest
import torch
from torch.nn.functional import binary_cross_entropy as _ref_bce
from torch.nn.functional import cross_entropy as _ref_ce
from torch.nn.functional import kl_div as _ref_kl
from torch.nn.functional import l1_loss as _ref_l1
from torch.nn.functional import mse_loss as _ref_mse
from torch.nn.functional import nll_loss as _ref_nll
from torch.nn.functional import smooth_l1_loss as _ref_smooth_l1

from grader.checks.probes import backward_probe
from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, check_array,
                                   expect_raises, rand, randint, randn)


def _grad_of(out, leaf, upstream, allow_unused=False):
    """d(sum(out * upstream))/d leaf; a 0-dim out is differentiated as it is.

    (Passing grad_outputs to torch.autograd.grad would import torch.fx on first use: seconds.)
    """
    scalar = out if upstream is None else torch.sum(torch.mul(out, upstream))
    return torch.autograd.grad(scalar, [leaf], allow_unused=allow_unused)[0]

RTOL, ATOL = 1e-4, 1e-5


# --- building the cases (all at import) -----------------------------------------------------------

def _red(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / loss.shape[0]
    return loss


def _log_softmax(x, dim=1):
    m = x.max(dim=dim, keepdim=True).values
    return x - (m + (x - m).exp().sum(dim=dim, keepdim=True).log())


def _pick(log_probs, target):
    return log_probs.gather(1, target.unsqueeze(1)).squeeze(1)


def _smooth(d, beta):
    a = d.abs()
    return torch.where(a < beta, 0.5 * a ** 2 / beta, a - 0.5 * beta)


def _wrong_mae(pred, target, reduction, **_):
    d = pred - target
    return [("the abs is missing: make every difference positive with .abs()", _red(d, reduction)),
            ("the differences were squared: that is mse, not mae", _red(d ** 2, reduction))]


def _wrong_mse(pred, target, reduction, **_):
    d = pred - target
    wrong = [("the differences were not squared", _red(d, reduction)),
             ("took |d| instead of d²: that is mae, not mse", _red(d.abs(), reduction))]
    if reduction == "mean":
        wrong.append(("took the square root of the mean: that is RMSE, not MSE",
                      _red(d ** 2, reduction).sqrt()))
    return wrong


def _wrong_smooth_l1(pred, target, reduction, beta=1.0):
    d = pred - target
    a = d.abs()
    wrong = []
    if beta != 1.0:
        wrong += [
            ("beta was ignored (the default beta = 1 was used)", _red(_smooth(d, 1.0), reduction)),
            ("the quadratic part was not divided by beta: it is 0.5·d²/beta",
             _red(torch.where(a < beta, 0.5 * a ** 2, a - 0.5 * beta), reduction)),
            ("the linear part subtracts 0.5 instead of 0.5·beta",
             _red(torch.where(a < beta, 0.5 * a ** 2 / beta, a - 0.5), reduction)),
        ]
    wrong += [
        ("a missing abs: the signed difference was compared with beta instead of |d|",
         _red(torch.where(d < beta, 0.5 * d ** 2 / beta, a - 0.5 * beta), reduction)),
        ("a missing abs in the linear part: it is |d| - 0.5·beta",
         _red(torch.where(a < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction)),
        ("the two branches are swapped: 0.5·d²/beta applies where |d| < beta",
         _red(torch.where(a < beta, a - 0.5 * beta, 0.5 * a ** 2 / beta), reduction)),
        ("this is mse, not smooth L1", _red(d ** 2, reduction)),
    ]
    return wrong


def _wrong_nll(log_probs, target, reduction, **_):
    wrong = [("the minus sign is missing: the loss is -log_probs[i, target[i]]",
              _red(_pick(log_probs, target), reduction)),
             ("picked the wrong entries: each sample i needs log_probs[i, target[i]] "
              "(gather along the class axis, dim 1)",
              _red(-log_probs[:, 0], reduction) if log_probs.shape[1] > 1 else None)]
    if reduction == "mean":
        wrong.append(("averaged every entry of log_probs instead of picking each sample's target "
                      "class", -log_probs.mean()))
        wrong.append(("divided the sum by the number of classes times samples",
                      -_pick(log_probs, target).sum() / log_probs.numel()))
    return [(m, w) for m, w in wrong if w is not None]


NO_MAX_SHIFT = ("no max-shift: exp(logits) overflows to inf for large logits (and underflows to 0 "
                "for very negative ones); subtract each row's maximum before exp, the logsumexp "
                "trick")
LOG_OF_SOFTMAX = ("took log(softmax(x)): the softmax underflows to 0 for very negative logits and "
                  "log(0) = -inf; compute log_softmax as x - logsumexp(x) instead")
GLOBAL_MAX = ("the max-shift used the maximum of the whole batch instead of each row's maximum "
              "(max over dim=1, keepdim=True)")


def _wrong_ce(logits, target, reduction, **_):
    x = logits
    naive = x - x.exp().sum(1, keepdim=True).log()
    m = x.max(dim=1, keepdim=True).values
    sm = (x - m).exp() / (x - m).exp().sum(1, keepdim=True)
    gm = x.max()
    global_max = x - (gm + (x - gm).exp().sum(1, keepdim=True).log())
    wrong = [
        (NO_MAX_SHIFT, _red(-_pick(naive, target), reduction)),
        (LOG_OF_SOFTMAX, _red(-_pick(sm.log(), target), reduction)),
        (GLOBAL_MAX, _red(-_pick(global_max, target), reduction)),
        ("the softmax was taken over the wrong axis: the classes are dim 1, the batch is dim 0",
         _red(-_pick(_log_softmax(x, dim=0), target), reduction)),
        ("the log-softmax is missing: nll was applied to the raw logits",
         _red(-_pick(x, target), reduction)),
        ("the minus sign is missing", _red(_pick(_log_softmax(x), target), reduction)),
    ]
    if reduction == "mean":
        wrong.append(("divided the sum by the number of classes times samples",
                      -_pick(_log_softmax(x), target).sum() / x.numel()))
    return wrong


def _wrong_kl(log_q, p, reduction, **_):
    q = log_q.exp()
    wrong = [
        ("0·log 0 gave nan: where p is 0 the term is 0 by convention (use torch.xlogy(p, p) or "
         "torch.where(p > 0, ...))", _red(p * (p.log() - log_q), reduction)),
        ("the arguments are the other way round: torch's kl_div takes the model's "
         "log-probabilities first and the target probabilities p second, and computes "
         "p·(log p - log_q)", _red(q * (log_q - p.log()), reduction)),
        ("the sign is flipped: each term is p·(log p - log_q)",
         _red(-(torch.xlogy(p, p) - p * log_q), reduction)),
        ("the p·log p term is missing: -p·log_q is the cross-entropy, not the KL divergence",
         _red(-p * log_q, reduction)),
        ("log_q is already a logarithm: it was exponentiated where it should be used as it is",
         _red(torch.xlogy(p, p) - p * q, reduction)),
    ]
    return wrong


BCE_CLAMP_HINT = ("torch clamps each log at -100: log(0) counts as -100, so p = 0 with y = 1 costs "
                  "exactly 100. Clamp log(p) and log(1 - p) (e.g. .clamp(min=-100)), not the "
                  "probabilities at some small eps.")


def _wrong_bce(probs, target, reduction, **_):
    log_p = probs.log().clamp(min=-100)
    log_1p = (1 - probs).log().clamp(min=-100)
    return [
        ("the logs are not clamped: log(0) = -inf gives inf or nan; clamp each log at -100 as "
         "torch does", _red(-(target * probs.log() + (1 - target) * (1 - probs).log()), reduction)),
        ("the minus sign is missing", _red(target * log_p + (1 - target) * log_1p, reduction)),
        ("the (1 - y)·log(1 - p) term is missing", _red(-(target * log_p), reduction)),
        ("the y·log(p) term is missing", _red(-((1 - target) * log_1p), reduction)),
    ]


def _reduction_mistakes(pointwise, reduction, default):
    r = default if reduction == "default" else reduction
    if r == "mean":
        wrong = [("summed where reduction='mean' asks for the average", pointwise.sum())]
    elif r == "sum":
        wrong = [("averaged where reduction='sum' asks for the sum", pointwise.mean())]
    elif r == "batchmean":
        wrong = [("'mean' (divided by every entry) where 'batchmean' (divide the sum by the batch "
                  "size, the first dimension, only) was meant", pointwise.mean()),
                 ("forgot to divide by the batch size: that is reduction='sum'", pointwise.sum())]
    else:
        wrong = []
    if reduction == "default":
        wrong = [(f"the default reduction should be '{default}' ({m})", w) for m, w in wrong]
    return wrong


# fn name -> (oracle, the learner's default reduction, wrong-result builder)
LOSSES = {
    "mae": (_ref_l1, "mean", _wrong_mae),
    "mse": (_ref_mse, "mean", _wrong_mse),
    "smooth_l1": (_ref_smooth_l1, "mean", _wrong_smooth_l1),
    "nll": (_ref_nll, "mean", _wrong_nll),
    "cross_entropy": (_ref_ce, "mean", _wrong_ce),
    "kl_div": (_ref_kl, "batchmean", _wrong_kl),
    "binary_cross_entropy": (_ref_bce, "mean", _wrong_bce),
}
ARGS = {
    "mae": "pred, target", "mse": "pred, target", "smooth_l1": "pred, target",
    "nll": "log_probs, target", "cross_entropy": "logits, target", "kl_div": "log_q, p",
    "binary_cross_entropy": "probs, target",
}


@dataclass(frozen=True)
class Expected:
    want: torch.Tensor
    upstream: torch.Tensor | None
    want_grad: torch.Tensor | None
    wrong: list


class Case:
    """One call: its inputs and what is passed (made at import); what is expected comes from
    `expected()`, called once the learner's call has returned."""

    def __init__(self, fn, inputs, reduction, extra=None, *, grad=True, label=""):
        self.fn, self.inputs, self.reduction = fn, inputs, reduction
        self.extra = dict(extra or {})
        self.grad = grad
        shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
        kwargs = "".join(f", {k}={v!r}" for k, v in self.extra.items())
        if reduction != "default":
            kwargs += f", reduction={reduction!r}"
        self.name = f"{fn}({ARGS[fn]}{kwargs}) on shapes {shapes}{label}"

    def expected(self) -> Expected:
        ref, default, wrong_results = LOSSES[self.fn]
        inputs, reduction = self.inputs, self.reduction
        r = default if reduction == "default" else reduction
        leaf = torch.Tensor.requires_grad_(torch.Tensor.clone(inputs[0].detach()))
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's note on reduction='mean'
            out = ref(leaf, *inputs[1:], reduction=r, **self.extra)
        upstream = randn(*out.shape, seed=sum(out.shape) + 7) if out.dim() else None
        want_grad = _grad_of(out, leaf, upstream) if self.grad else None
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pointwise = ref(inputs[0], *inputs[1:], reduction="none", **self.extra)
            wrong = _reduction_mistakes(pointwise, reduction, default)
            wrong += wrong_results(*inputs, reduction=r, **self.extra)
        return Expected(out.detach(), upstream, want_grad, wrong)


def _regression_inputs(shape, seed):
    return (randn(*shape, seed=seed) * 1.5, randn(*shape, seed=seed + 1) * 1.5)


def _classification_inputs(n, c, seed, scale=2.0):
    return (randn(n, c, seed=seed) * scale, randint(0, c, (n,), seed=seed + 1))


def _kl_inputs(shape, seed):
    log_q = _log_softmax(randn(*shape, seed=seed), dim=-1)
    p = _log_softmax(randn(*shape, seed=seed + 1) * 2, dim=-1).exp()
    p = torch.where(rand(*shape, seed=seed + 2) < 0.25, torch.zeros(()), p)  # exact zeros
    p = p / p.sum(-1, keepdim=True)
    return (log_q, p)


def _bce_inputs(shape, seed):
    probs = rand(*shape, seed=seed) * 0.96 + 0.02
    target = (rand(*shape, seed=seed + 1) < 0.5).to(torch.float32)
    if len(shape) > 1:  # soft targets are allowed too
        target[0] = rand(*shape[1:], seed=seed + 2)
    return (probs, target)


# Batch of one last: a mistake is named most reliably on the larger shapes.
REG_SHAPES = [(6,), (4, 3), (2, 3, 4), (1,)]
CLS_SHAPES = [(5, 4), (8, 10), (1, 3)]
KL_SHAPES = [(5, 3), (2, 3, 4), (1, 4)]
BCE_SHAPES = [(7,), (4, 3), (1,)]


def _cases(fn, reduction):
    if fn in ("mae", "mse"):
        return [Case(fn, _regression_inputs(s, 100 + i), reduction) for i, s in enumerate(REG_SHAPES)]
    if fn == "smooth_l1":
        return [Case(fn, _regression_inputs(s, 200 + i), reduction, {"beta": beta})
                for i, s in enumerate(REG_SHAPES) for beta in (1.0, 0.5, 2.0, 0.0)]  # 0: plain L1, the edge
    if fn == "nll":
        return [Case(fn, (_log_softmax(x), t), reduction)
                for x, t in (_classification_inputs(n, c, 300 + n) for n, c in CLS_SHAPES)]
    if fn == "cross_entropy":
        return [Case(fn, _classification_inputs(n, c, 400 + n), reduction) for n, c in CLS_SHAPES]
    if fn == "kl_div":
        return [Case(fn, _kl_inputs(s, 500 + i), reduction) for i, s in enumerate(KL_SHAPES)]
    return [Case(fn, _bce_inputs(s, 600 + i), reduction) for i, s in enumerate(BCE_SHAPES)]


PARAMS = [(fn, r) for fn in LOSSES for r in ("mean", "sum", "none", "default")]
PARAMS.insert(PARAMS.index(("kl_div", "default")), ("kl_div", "batchmean"))
CASES = {key: _cases(*key) for key in PARAMS}

# Logits of ±1000: rows chosen so that each overflow mistake fails on a different row.
EXTREME_LOGITS = torch.tensor([[1000.0, 999.0, 998.0],      # exp overflows without the max-shift
                          [-1000.0, -1000.0, -999.0],  # every exp underflows without it
                          [1000.0, -1000.0, 0.0],      # softmax of -1000 underflows to 0
                          [0.0, 0.0, 1000.0],
                          [-3.0, 0.5, 2.0]])
EXTREME_TARGET = torch.tensor([2, 0, 1, 0, 1])
EXTREME_CASES = [Case("cross_entropy", (EXTREME_LOGITS, EXTREME_TARGET), r, label=" (logits of ±1000)")
                 for r in ("none", "mean", "sum")]

# Probabilities of exactly 0 and 1: values only (torch's own gradient there is a 1e12 cap).
EDGE_PROBS = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 1e-30])
EDGE_TARGET = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.3, 0.7, 1.0, 1.0])
EDGE_CASES = [Case("binary_cross_entropy", (EDGE_PROBS, EDGE_TARGET), r, grad=False,
                   label=" (probabilities of exactly 0 and 1)") for r in ("none", "mean", "sum")]


# --- running one case -----------------------------------------------------------------------------

def _run(sub, case, *, hint=None):
    first = torch.Tensor.clone(case.inputs[0].detach())
    others = [t.clone() for t in case.inputs[1:]]
    kwargs = dict(case.extra)
    if case.reduction != "default":
        kwargs["reduction"] = case.reduction
    expected = case.expected()
    out, records, grads = sub.run(backward_probe, case.fn, [first, *others], kwargs, [0], expected.upstream)
    leaf = first

    check_array(out, case.name, kind="tensor", shape=tuple(expected.want.shape), dtype="floating")
    assert_unchanged(case.inputs[0], leaf, f"the first argument of {case.fn}",
                     mistake="an in-place operation on the caller's tensor")
    for before, after in zip(case.inputs[1:], others):
        assert_unchanged(before, after, f"the second argument of {case.fn}",
                         mistake="an in-place operation (such as clamp_ or sub_) on the caller's "
                                 "tensor")
    assert_close(out, expected.want, case.name, rtol=RTOL, atol=ATOL, diagnose=expected.wrong, hint=hint)
    if expected.want_grad is None:
        return
    if not records:
        raise Feedback(f"{case.name} is not connected to the input's graph, so no gradient can "
                       "flow back. Keep to tensor operations on the inputs: no .detach(), .item(), "
                       "torch.tensor(...) of results, or NumPy.")
    grad = grads[0] if grads else None
    if grad is None:
        raise Feedback(f"{case.name} does not depend on its first argument: no gradient reaches "
                       "it.")
    assert_close(grad, expected.want_grad, f"the gradient of {case.name} with respect to its first "
                 "argument", rtol=RTOL, atol=ATOL,
                 hint="the values are right but the gradient is not: is part of the computation "
                      "detached, done through .data, or replaced by a constant?")


# --- checks ---------------------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("fn, reduction", PARAMS, ids=[f"{fn}-{r}" for fn, r in PARAMS])
def test_values_and_gradients_match_torch(sub, fn, reduction):
    """The loss and its gradient equal torch.nn.functional's, for several shapes."""
    for case in CASES[(fn, reduction)]:
        _run(sub, case)


@pytest.mark.points(2)
def test_cross_entropy_with_logits_of_1000(sub):
    """cross_entropy stays finite and exact for logits of ±1000 (the max-shift)."""
    for case in EXTREME_CASES:
        _run(sub, case, hint="subtract each row's maximum before exp: logsumexp(x) = m + "
                             "log(sum(exp(x - m))), and log_softmax = x - logsumexp(x)")


@pytest.mark.points(2)
def test_binary_cross_entropy_with_probabilities_0_and_1(sub):
    """binary_cross_entropy at p = 0 and p = 1: logs clamped at -100 as torch does."""
    for case in EDGE_CASES:
        _run(sub, case, hint=BCE_CLAMP_HINT)


SMALL = {  # made at import, cloned for each call
    "mae": _regression_inputs((3,), 700),
    "mse": _regression_inputs((3,), 701),
    "smooth_l1": _regression_inputs((3,), 702),
    "nll": (_log_softmax(randn(2, 3, seed=703)), torch.tensor([0, 2])),
    "cross_entropy": (randn(2, 3, seed=704), torch.tensor([1, 0])),
    "kl_div": _kl_inputs((2, 3), 705),
    "binary_cross_entropy": _bce_inputs((3,), 706),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("fn", list(LOSSES))
def test_unknown_reduction_raises_value_error(sub, fn):
    """An unknown reduction raises ValueError."""
    bad = ["average", ""] + ([] if fn == "kl_div" else ["batchmean"])
    for reduction in bad:
        inputs = [t.clone() for t in SMALL[fn]]
        expect_raises(ValueError, lambda: getattr(sub, fn)(*inputs, reduction=reduction),
                      f"{fn}({ARGS[fn]}, reduction={reduction!r})",
                      why=f"{reduction!r} is not one of "
                          + ("'mean', 'sum', 'none', 'batchmean'" if fn == "kl_div"
                             else "'mean', 'sum', 'none'"))
