"""Hidden checks for exercises/04_conv/pooling.py: max_pool2d equals F.max_pool2d, min_pool2d
equals -F.max_pool2d(-x), and gradients reach the chosen element of each window."""
from __future__ import annotations

import pytest
import torch

from grader.checks.probes import backward_probe
from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, randn
from grader.checks.diagnose import shape_finding
from grader.checks.localise import Variation, localised
from grader.checks.plain import graph_tensor

# Oracles.
from torch.nn.functional import avg_pool2d as _ref_avg_pool2d
from torch.nn.functional import max_pool2d as _ref_max_pool2d
from torch.autograd import grad as _autograd_grad


RTOL, ATOL = 1e-6, 1e-7   # pooling picks values, it does not compute new ones

# (N, C, H, W, kernel_size, stride): the default stride (None), overlapping and non-overlapping
# windows, non-square inputs, odd sizes with rows and columns left over (floor mode), a batch of 1.
CONFIGS = [
    (1, 1, 4, 4, 2, None),
    (2, 3, 7, 9, 2, None),
    (2, 2, 8, 6, 3, None),
    (1, 3, 9, 11, 3, 2),
    (2, 2, 10, 7, 2, 1),
    (3, 1, 6, 6, 3, 1),
    (2, 4, 5, 9, 1, None),
    (1, 2, 13, 8, 4, 3),
    (2, 3, 11, 10, 3, 3),
]


# Where a failing case turns wrong: from the simplest pooling, one parameter at a time.
VARIATION = Variation(
    simplest=dict(batch=1, channels=1, height=6, width=6, kernel_size=2, stride=None),
    steps=dict(batch=(2,), channels=(3,), height=(8,), width=(7,), kernel_size=(3,), stride=(1,)),
    advice=dict(batch="look at how the batch axis is handled (code that assumes one image?)",
                channels="pool every channel on its own",
                height="a non-square input: H is x.shape[2] and W is x.shape[3]; check which you use where",
                width="a width the windows do not divide: the last incomplete window is dropped"
                      " (W_out = (W - kernel_size) // stride + 1)",
                kernel_size="look at how the window's size follows kernel_size",
                stride="a stride other than kernel_size: windows overlap; step i * stride, and"
                       " H_out = (H - kernel_size) // stride + 1"))


def _agrees_on(sub, fn):
    """Whether the learner's pooling equals the reference on one case (for the search)."""
    def right(case) -> bool:
        config = tuple(case.values())
        x = _inputs(config, seed=4243)
        k, s = config[4], config[5]
        f = getattr(sub, fn)
        out = f(x.clone(), k) if s is None else f(x.clone(), k, s)
        want = _ref_max_pool2d(x, k, s) if fn == "max_pool2d" else torch.neg(_ref_max_pool2d(torch.neg(x), k, s))
        return (isinstance(out, torch.Tensor) and tuple(out.shape) == tuple(want.shape)
                and bool(torch.allclose(out.double(), want.double(), rtol=RTOL, atol=ATOL)))
    return right


def _ids(config):
    n, c, h, w, k, s = config
    return f"x{n}x{c}x{h}x{w}-k{k}-s{'default' if s is None else s}"


def _out(size, k, s):
    return (size - k) // s + 1


def _call_name(fn, config):
    k, s = config[4], config[5]
    return f"{fn}(x, {k})" if s is None else f"{fn}(x, {k}, stride={s})"


def _call(sub, fn, x, config):
    k, s = config[4], config[5]
    f = getattr(sub, fn)
    # exactly torch.Tensor (graph kept): a subclass's __torch_function__ answers for nothing below
    return graph_tensor(f(x, k) if s is None else f(x, k, s), _call_name(fn, config))


def _shape_mistakes(x, config, sign):
    """(mistake, what it returns) for the mistakes that give a wrong shape, replayed on x.

    sign is 1 for max pooling, -1 for min pooling (min(x) = -max(-x))."""
    n, c, h, w, k, s = config
    stride = k if s is None else s
    y = sign * x
    windows = torch.Tensor.unfold(y.unfold(2, k, stride), 3, k, stride)       # (N, C, H_out, W_out, k, k)
    kept = torch.amax(windows, dim=(2, 3))                                  # (N, C, k, k)
    mistakes = [(f"the maximum was taken over the window positions (dims 2 and 3 of the unfolded "
                 f"(N, C, H_out, W_out, k, k) tensor) instead of within each window (dims 4 and 5): "
                 f"the result holds one value per position inside a window, shape (N, C, {k}, {k}). "
                 f"Reduce over the last two dims", sign * kept)]
    if s is None and stride != 1:
        mistakes.append(("the stride defaults to kernel_size, not 1: with stride=None the windows "
                         "tile the image without overlapping", sign * _ref_max_pool2d(y, k, 1)))
    if s is not None and s != k:
        mistakes.append((f"the stride argument was ignored (the windows moved by kernel_size={k} "
                         f"instead of stride={s})", sign * _ref_max_pool2d(y, k, k)))
    mistakes.append(("the partial windows at the bottom/right edge were kept (ceil mode); "
                     "F.max_pool2d uses floor mode: rows and columns that do not fill a whole "
                     "window are dropped, H_out = (H - kernel_size) // stride + 1",
                     sign * _ref_max_pool2d(y, k, stride, ceil_mode=True)))
    return mistakes


def _check_output(out, config, name, x, sign=1.0):
    """Type, then the shape (a wrong one named only when replaying the mistake gives the learner's
    values), then dtype."""
    n, c, h, w, k, s = config
    stride = k if s is None else s
    check_array(out, name, kind="tensor")
    want = (n, c, _out(h, k, stride), _out(w, k, stride))
    got = tuple(out.shape)
    if got == want:
        check_array(out, name, dtype="floating", kind="tensor")
        return
    msg = f"{name} has shape {got}, expected {want} for x of shape {(n, c, h, w)}."
    for mistake, wrong in _shape_mistakes(x.detach(), config, sign):
        if tuple(wrong.shape) == got and bool(torch.allclose(out.detach().to(wrong.dtype), wrong,
                                                        rtol=1e-5, atol=1e-6)):
            raise Feedback(f"{msg}\nLikely mistake: {mistake}.")
    if len(got) == 4 and got[:2] == want[:2] and got[2:] == (want[3], want[2]) and want[2] != want[3]:
        raise Feedback(f"{msg}\nWhat the numbers show: H_out and W_out are swapped.")
    if len(got) == 4 and got[:2] == want[:2]:
        raise Feedback(f"{msg}\nWhat the numbers show: the spatial size is {got[2:]}; with floor mode"
                       f" H_out = (H - kernel_size) // stride + 1 = {want[2]} and W_out = {want[3]}.")
    finding = shape_finding(got, want, axis_names={2: "H_out", 3: "W_out"})
    raise Feedback(msg + (f"\nWhat the numbers show: {finding.text}." if finding else ""))


def _inputs(config, seed, dtype=torch.float32):
    n, c, h, w, _, _ = config
    return randn(n, c, h, w, seed=seed, dtype=dtype)


def _max_diagnoses(x, k, stride):
    return [("each window was averaged instead of taking its maximum (that is average pooling)",
             _ref_avg_pool2d(x, k, stride)),
            ("max_pool2d returned the minimum of each window", torch.neg(_ref_max_pool2d(torch.neg(x), k, stride))),
            ("max_pool2d returned the maximum of -x, which is minus the minimum",
             _ref_max_pool2d(torch.neg(x), k, stride))]


def _min_diagnoses(x, k, stride):
    return [("min pooling computed as max_pool2d(-x) without negating the result back: "
             "min(x) = -max(-x)", _ref_max_pool2d(torch.neg(x), k, stride)),
            ("min_pool2d returned the maximum of each window", _ref_max_pool2d(x, k, stride)),
            ("each window was averaged instead of taking its minimum (that is average pooling)",
             _ref_avg_pool2d(x, k, stride))]


@pytest.mark.points(1)
def test_worked_example(sub):
    """The worked example from the docstring: a 3 x 4 input, kernel_size 2, the last row dropped."""
    x = torch.tensor([[[[1.0, 5.0, 2.0, 0.0], [3.0, 6.0, 4.0, 1.0], [9.0, 9.0, 9.0, 9.0]]]])
    config = (1, 1, 3, 4, 2, None)
    out = sub.max_pool2d(x.clone(), 2)
    _check_output(out, config, "max_pool2d(x, 2)", x)
    assert_close(out, torch.tensor([[[[6.0, 4.0]]]]), "max_pool2d(x, 2)", rtol=RTOL, atol=ATOL,
                 diagnose=[("each window was averaged instead of taking its maximum",
                            torch.tensor([[[[3.75, 1.75]]]]))],
                 hint="the first window is [[1, 5], [3, 6]], whose maximum is 6.")
    out = sub.min_pool2d(x.clone(), 2)
    _check_output(out, config, "min_pool2d(x, 2)", x, -1.0)
    assert_close(out, torch.tensor([[[[1.0, 0.0]]]]), "min_pool2d(x, 2)", rtol=RTOL, atol=ATOL,
                 diagnose=[("min pooling computed as max_pool2d(-x) without negating the result "
                            "back: min(x) = -max(-x)", torch.tensor([[[[-1.0, 0.0]]]])),
                           ("min_pool2d returned the maximum of each window", torch.tensor([[[[6.0, 4.0]]]]))],
                 hint="the first window is [[1, 5], [3, 6]], whose minimum is 1.")


@pytest.mark.points(1)
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_max_pool_matches_reference(sub, config):
    """max_pool2d equals F.max_pool2d on seeded random inputs."""
    k, s = config[4], config[5]
    x = _inputs(config, seed=40 + CONFIGS.index(config))
    x_in = x.clone()
    name = _call_name("max_pool2d", config)
    out = _call(sub, "max_pool2d", x_in, config)
    with localised(VARIATION, _agrees_on(sub, "max_pool2d"), case=dict(zip(VARIATION.simplest, config))):
        _check_output(out, config, name, x)
        assert_close(out, _ref_max_pool2d(x, k, s), name, rtol=RTOL, atol=ATOL,
                     diagnose=_max_diagnoses(x, k, k if s is None else s),
                     hint="out[n, c, i, j] is the maximum of x[n, c, i*stride + u, j*stride + v] over "
                          "u, v < kernel_size.")
    assert_unchanged(x, x_in, "x", mistake="an in-place operation on the input; work on new tensors")


@pytest.mark.points(1)
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_min_pool_matches_reference(sub, config):
    """min_pool2d equals -F.max_pool2d(-x) on seeded random inputs."""
    k, s = config[4], config[5]
    x = _inputs(config, seed=80 + CONFIGS.index(config))
    x_in = x.clone()
    name = _call_name("min_pool2d", config)
    out = _call(sub, "min_pool2d", x_in, config)
    with localised(VARIATION, _agrees_on(sub, "min_pool2d"), case=dict(zip(VARIATION.simplest, config))):
        _check_output(out, config, name, x, -1.0)
        assert_close(out, torch.neg(_ref_max_pool2d(torch.neg(x), k, s)), name, rtol=RTOL, atol=ATOL,
                     diagnose=_min_diagnoses(x, k, k if s is None else s),
                     hint="out[n, c, i, j] is the minimum of x[n, c, i*stride + u, j*stride + v] over "
                          "u, v < kernel_size.")
    assert_unchanged(x, x_in, "x", mistake="an in-place operation on the input; work on new tensors")


@pytest.mark.points(1)
def test_keyword_arguments(sub):
    """max_pool2d and min_pool2d called with keyword arguments, stride=None spelled out."""
    config = (2, 2, 9, 7, 3, None)
    x = _inputs(config, seed=120)
    for fn, want, diagnoses in (
            ("max_pool2d", _ref_max_pool2d(x, 3), _max_diagnoses(x, 3, 3)),
            ("min_pool2d", torch.neg(_ref_max_pool2d(torch.neg(x), 3)), _min_diagnoses(x, 3, 3))):
        name = f"{fn}(x=x, kernel_size=3, stride=None)"
        out = getattr(sub, fn)(x=x.clone(), kernel_size=3, stride=None)
        _check_output(out, config, name, x, 1.0 if fn == "max_pool2d" else -1.0)
        assert_close(out, want, name, rtol=RTOL, atol=ATOL, diagnose=diagnoses)
    config = (1, 3, 8, 10, 2, 3)
    x = _inputs(config, seed=121)
    name = "max_pool2d(x=x, kernel_size=2, stride=3)"
    out = sub.max_pool2d(x=x.clone(), kernel_size=2, stride=3)
    _check_output(out, config, name, x)
    assert_close(out, _ref_max_pool2d(x, 2, 3), name, rtol=RTOL, atol=ATOL, diagnose=_max_diagnoses(x, 2, 3))


GRAD_CONFIGS = [CONFIGS[0], CONFIGS[1], CONFIGS[3], CONFIGS[4], CONFIGS[7]]


@pytest.mark.points(1)
@pytest.mark.parametrize("fn", ["max_pool2d", "min_pool2d"])
@pytest.mark.parametrize("config", GRAD_CONFIGS, ids=_ids)
def test_gradient_reaches_chosen_element(sub, config, fn):
    """Autograd flows through the pooling: each window's gradient goes to its chosen element."""
    k, s = config[4], config[5]
    seed = 200 + 3 * GRAD_CONFIGS.index(config)
    x = _inputs(config, seed=seed, dtype=torch.float64)   # distinct values: every window has one winner
    name = _call_name(fn, config)
    n, c, h, w = config[:4]
    stride = k if s is None else s
    upstream = randn(n, c, (h - k) // stride + 1, (w - k) // stride + 1, seed=seed + 1, dtype=torch.float64)
    args = (x, k) if s is None else (x, k, s)
    out, records, grads = sub.run(backward_probe, fn, args, {}, [0], upstream)
    out = graph_tensor(out, name)
    _check_output(out, config, name, x, 1.0 if fn == "max_pool2d" else -1.0)
    if fn == "max_pool2d":
        want_out, diagnoses = _ref_max_pool2d(x, k, s), _max_diagnoses(x, k, stride)
    else:
        want_out, diagnoses = torch.neg(_ref_max_pool2d(torch.neg(x), k, s)), _min_diagnoses(x, k, stride)
    assert_close(out, want_out, name, rtol=RTOL, atol=ATOL, diagnose=diagnoses)
    if not records:
        raise Feedback(f"{name} does not record history (its result has requires_grad=False), so no "
                       "gradient can flow back to x. Build the result from tensor operations on x: "
                       "no .detach(), .numpy(), .item(), .data, torch.tensor(...) copies or "
                       "torch.no_grad().")
    got = grads[0] if grads else None
    if got is None:
        raise Feedback(f"No gradient reaches x through {name}: was x detached or copied?")

    ref_leaf = torch.Tensor.requires_grad_(x.clone())
    sign = 1.0 if fn == "max_pool2d" else -1.0
    ref_out = sign * _ref_max_pool2d(sign * ref_leaf, k, s)
    (want,) = _autograd_grad((ref_out * upstream).sum(), (ref_leaf,))
    avg_leaf = torch.Tensor.requires_grad_(x.clone())
    (avg_grad,) = _autograd_grad((_ref_avg_pool2d(avg_leaf, k, stride) * upstream).sum(), (avg_leaf,))
    assert_close(got, want, f"the gradient of sum({name} * g) w.r.t. x", rtol=1e-5, atol=1e-6,
                 diagnose=[("the gradient was spread evenly over each window (average pooling); it "
                            "should go entirely to the element the window chose", avg_grad)],
                 hint="each window's gradient should go to the one element it picked; the other "
                      "elements get 0 (and an element picked by several overlapping windows gets "
                      "the sum).")
