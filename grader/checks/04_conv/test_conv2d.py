"""Hidden checks for exercises/04_conv/conv2d.py: conv2d equals F.conv2d, autograd flows, fast."""
from __future__ import annotations

import contextlib
import time

import pytest
import torch

from grader.checks.probes import backward_probe
from grader.judge import LearnerError
from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, randn
from grader.checks.localise import Variation, localised

# Oracles.
from torch.nn.functional import conv2d as _ref_conv2d
from torch.autograd import grad as _autograd_grad

_perf_counter = time.perf_counter

RTOL, ATOL = 1e-4, 1e-4   # float32 sums of a few dozen products

# (N, C_in, H, W, C_out, kH, kW, stride, padding, with_bias): strides 1-3, paddings 0-2,
# non-square inputs and kernels, a batch of 1, several channels, with and without bias.
CONFIGS = [
    (1, 1, 5, 5, 1, 3, 3, 1, 0, True),
    (2, 3, 7, 9, 4, 3, 2, 2, 1, True),
    (3, 2, 8, 6, 5, 2, 3, 3, 2, False),
    (1, 4, 6, 10, 2, 1, 1, 1, 0, True),
    (2, 3, 9, 7, 3, 3, 3, 1, 2, True),
    (2, 2, 10, 11, 3, 4, 2, 3, 1, True),
    (2, 2, 6, 6, 4, 3, 3, 1, 0, True),      # W_out == C_out: a bias broadcast on the wrong axis fits
    (1, 3, 12, 8, 2, 5, 3, 2, 1, False),
]


# Where a failing case turns wrong: from the simplest convolution, one parameter at a time.
VARIATION = Variation(
    simplest=dict(batch=1, in_channels=1, height=5, width=5, out_channels=1, kernel_h=3, kernel_w=3,
                  stride=1, padding=0, bias=False),
    steps=dict(batch=(2,), in_channels=(3,), out_channels=(2,), height=(7,), kernel_h=(2,), stride=(2,),
               padding=(1,), bias=(True,)),
    advice=dict(batch="look at how the batch axis is handled (code that assumes one image?)",
                in_channels="sum over every input channel, each with its own weight[o, c]",
                out_channels="one output channel per filter weight[o]",
                height="a non-square input: H is x.shape[2] and W is x.shape[3]; check which you use where",
                kernel_h="a non-square kernel: kH is weight.shape[2] and kW is weight.shape[3]",
                stride="look at how you step the window (i * stride) and the output size"
                       " (H + 2 * padding - kH) // stride + 1",
                padding="look at how you pad: `padding` zeros on both sides of H and of W, before the windows",
                bias="add bias[o] once to every entry of output channel o"))


def _config(case) -> tuple:
    return (case["batch"], case["in_channels"], case["height"], case["width"], case["out_channels"],
            case["kernel_h"], case["kernel_w"], case["stride"], case["padding"], case["bias"])


def _case(config) -> dict:
    return dict(zip(VARIATION.simplest, config))


def _agrees_on(sub):
    """Whether the learner's conv2d equals F.conv2d on one case (for the search)."""
    def right(case) -> bool:
        config = _config(case)
        x, weight, bias = _inputs(config, seed=4242)
        out = sub.conv2d(x.clone(), weight.clone(), None if bias is None else bias.clone(),
                         config[7], config[8])
        want = _ref_conv2d(x, weight, bias, stride=config[7], padding=config[8])
        return (isinstance(out, torch.Tensor) and tuple(out.shape) == tuple(want.shape)
                and bool(torch.allclose(out.double(), want.double(), rtol=RTOL, atol=ATOL)))
    return right


def _ids(config):
    n, c_in, h, w, c_out, kh, kw, s, p, b = config
    return f"x{n}x{c_in}x{h}x{w}-w{c_out}x{c_in}x{kh}x{kw}-s{s}-p{p}-{'bias' if b else 'nobias'}"


def _inputs(config, seed, dtype=torch.float32):
    n, c_in, h, w, c_out, kh, kw, s, p, with_bias = config
    x = randn(n, c_in, h, w, seed=seed, dtype=dtype)
    weight = randn(c_out, c_in, kh, kw, seed=seed + 1, dtype=dtype)
    bias = randn(c_out, seed=seed + 2, dtype=dtype) if with_bias else None
    return x, weight, bias


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _check_output(out, config, name):
    """Type, then the output shape with the mistakes that give a wrong shape named, then dtype."""
    n, c_in, h, w, c_out, kh, kw, s, p, _ = config
    check_array(out, name, kind="tensor")
    want = (n, c_out, _out_size(h, kh, s, p), _out_size(w, kw, s, p))
    got = tuple(out.shape)
    if got != want:
        msg = f"{name} has shape {got}, expected {want} for x {(n, c_in, h, w)}, weight " \
              f"{(c_out, c_in, kh, kw)}, stride={s}, padding={p}."
        if len(got) == 4 and got[:2] == want[:2]:
            hw = got[2:]
            candidates = []
            if p > 0:
                candidates.append(((_out_size(h, kh, s, 0), _out_size(w, kw, s, 0)),
                                   "padding was ignored (the output has the size of an unpadded "
                                   "convolution): pad x with `padding` zeros on every side first"))
                candidates.append((((h + p - kh) // s + 1, (w + p - kw) // s + 1),
                                   "padding added on one side only: pad `padding` zeros on both "
                                   "sides of H and of W"))
            if s > 1:
                candidates.append(((_out_size(h, kh, 1, p), _out_size(w, kw, 1, p)),
                                   "the stride was ignored (the output has the size of a stride-1 "
                                   "convolution): step the filter `stride` pixels at a time"))
                candidates.append(((_out_size(h, kh, s, p), _out_size(w, kw, 1, p)),
                                   "the stride was applied along H only: apply it along W too"))
                candidates.append(((_out_size(h, kh, 1, p), _out_size(w, kw, s, p)),
                                   "the stride was applied along W only: apply it along H too"))
            if kh != kw:
                candidates.append(((_out_size(h, kw, s, p), _out_size(w, kh, s, p)),
                                   "kH and kW swapped: weight.shape[-2] runs along H, "
                                   "weight.shape[-1] along W"))
            ho, wo = want[2:]
            for dh, dw in ((-1, -1), (1, 1), (-1, 0), (0, -1), (1, 0), (0, 1)):
                candidates.append(((ho + dh, wo + dw),
                                   "output size off by one: H_out = (H + 2*padding - kH) // stride + 1 "
                                   "(and the same for W_out); count the positions of the filter again"))
            matching = []
            for shape, mistake in candidates:
                if hw == shape and mistake not in matching:
                    matching.append(mistake)
            if matching:
                raise Feedback(f"{msg}\nLikely mistake: " + ";\nor: ".join(matching) + ".")
        if len(got) == 4 and got[1] == c_in and c_in != c_out:
            msg += "\nLikely mistake: one output channel per input channel; each output channel o " \
                   "sums over all input channels with its own filter weight[o]."
        raise Feedback(msg)
    check_array(out, name, dtype="floating", kind="tensor")


def _diagnoses(x, weight, bias, config):
    """(mistake, what it would give) pairs, computed with the oracle."""
    n, c_in, h, w, c_out, kh, kw, s, p, _ = config
    no_bias = _ref_conv2d(x, weight, None, stride=s, padding=p)
    found = [("the kernel was flipped (that is a true convolution; F.conv2d and this exercise "
              "compute a cross-correlation: multiply x_padded[.., i*stride + u, j*stride + v] by "
              "weight[.., u, v] without flipping)",
              _ref_conv2d(x, torch.flip(weight, (-2, -1)), bias, stride=s, padding=p))]
    if kh == kw and kh > 1:
        found.append(("the kernel's rows and columns were swapped (weight[.., u, v] pairs with the "
                      "patch entry at row offset u and column offset v)",
                      _ref_conv2d(x, weight.transpose(-2, -1), bias, stride=s, padding=p)))
    if bias is not None:
        found.append(("the bias is missing: add bias[o] to every entry of output channel o", no_bias))
        if c_in > 1:
            found.append((f"the bias was added once per input channel ({c_in} times) instead of once "
                          f"per output channel: add it after summing over the input channels",
                          no_bias + c_in * bias.view(1, -1, 1, 1)))
        if no_bias.shape[-1] == c_out:
            found.append(("the bias was broadcast along the last (width) axis: reshape it to "
                          "(1, C_out, 1, 1) so that bias[o] goes to output channel o",
                          no_bias + bias.view(1, 1, 1, -1)))
    return found


@pytest.mark.points(1)
def test_worked_example(sub):
    """The worked example from the docstring: a 3 x 3 image and a 2 x 2 filter."""
    x = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    weight = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = sub.conv2d(x.clone(), weight.clone())
    _check_output(out, (1, 1, 3, 3, 1, 2, 2, 1, 0, False), "conv2d(x, weight)")
    expected = torch.tensor([[[[37.0, 47.0], [67.0, 77.0]]]])
    assert_close(out, expected, "conv2d(x, weight)", rtol=RTOL, atol=ATOL,
                 diagnose=[("the kernel was flipped (that is a true convolution; this exercise "
                            "computes a cross-correlation, no flip)",
                            torch.tensor([[[[23.0, 33.0], [53.0, 63.0]]]]))],
                 hint="out[0, 0, 0, 0] = 1*1 + 2*2 + 4*3 + 5*4 = 37: the top-left 2 x 2 patch times "
                      "the filter, summed.")


@pytest.mark.points(1)
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_matches_reference(sub, config):
    """conv2d(x, weight, bias, stride, padding) equals F.conv2d on seeded random inputs."""
    n, c_in, h, w, c_out, kh, kw, s, p, with_bias = config
    x, weight, bias = _inputs(config, seed=100 + 7 * CONFIGS.index(config))
    x_in, w_in = x.clone(), weight.clone()
    b_in = bias.clone() if bias is not None else None
    name = f"conv2d(x, weight, {'bias' if with_bias else 'None'}, stride={s}, padding={p})"
    out = sub.conv2d(x_in, w_in, b_in, s, p)
    with localised(VARIATION, _agrees_on(sub), case=_case(config)):
        _check_output(out, config, name)
        expected = _ref_conv2d(x, weight, bias, stride=s, padding=p)
        assert_close(out, expected, name, rtol=RTOL, atol=ATOL,
                     diagnose=_diagnoses(x, weight, bias, config),
                     hint=f"compare your output with a single hand-computed entry: out[0, o, i, j] sums "
                          f"x_padded[0, c, i*{s} + u, j*{s} + v] * weight[o, c, u, v] over c, u, v"
                          + (", plus bias[o]" if with_bias else "") + ".")
    mistake = "an in-place operation on an input (+=, pad_, copy_, ...); work on new tensors"
    assert_unchanged(x, x_in, "x", mistake=mistake)
    assert_unchanged(weight, w_in, "weight", mistake=mistake)
    if bias is not None:
        assert_unchanged(bias, b_in, "bias", mistake=mistake)


@pytest.mark.points(1)
def test_keyword_arguments_and_defaults(sub):
    """conv2d called with keyword arguments, and with the defaults stride=1, padding=0, bias=None."""
    config = (2, 3, 6, 7, 2, 3, 3, 1, 0, False)
    x, weight, _ = _inputs(config, seed=900)
    out = sub.conv2d(x.clone(), weight.clone())
    _check_output(out, config, "conv2d(x, weight)")
    assert_close(out, _ref_conv2d(x, weight), "conv2d(x, weight)", rtol=RTOL, atol=ATOL,
                 diagnose=_diagnoses(x, weight, None, config),
                 hint="with the defaults there is no bias, stride 1 and no padding.")
    config = (1, 2, 7, 5, 3, 2, 3, 2, 1, True)
    x, weight, bias = _inputs(config, seed=901)
    name = "conv2d(x=x, weight=weight, bias=bias, stride=2, padding=1)"
    out = sub.conv2d(x=x.clone(), weight=weight.clone(), bias=bias.clone(), stride=2, padding=1)
    _check_output(out, config, name)
    assert_close(out, _ref_conv2d(x, weight, bias, stride=2, padding=1), name, rtol=RTOL, atol=ATOL,
                 diagnose=_diagnoses(x, weight, bias, config))


GRAD_CONFIGS = [CONFIGS[0], CONFIGS[1], CONFIGS[2], CONFIGS[5]]


@pytest.mark.points(2)
@pytest.mark.parametrize("config", GRAD_CONFIGS, ids=_ids)
def test_autograd_flows(sub, config):
    """Autograd flows through conv2d: gradients w.r.t. x, weight and bias equal F.conv2d's."""
    n, c_in, h, w, c_out, kh, kw, s, p, with_bias = config
    seed = 500 + 11 * GRAD_CONFIGS.index(config)
    x, weight, bias = _inputs(config, seed=seed, dtype=torch.float64)
    leaves = [x, weight] + ([bias] if bias is not None else [])
    names = ["x", "weight", "bias"][:len(leaves)]
    name = f"conv2d(x, weight, {'bias' if with_bias else 'None'}, stride={s}, padding={p})"
    upstream = randn(n, c_out, (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1, seed=seed + 5, dtype=torch.float64)
    args = [x, weight, bias, s, p]
    out, records, got = sub.run(backward_probe, "conv2d", args, {}, list(range(len(leaves))), upstream)
    _check_output(out, config, name)
    if not records:
        raise Feedback(f"{name} does not record history (its result has requires_grad=False), so no "
                       "gradient can flow back to x, weight and bias. Build the result from tensor "
                       "operations on the inputs: no .detach(), .numpy(), .item(), .data, "
                       "torch.tensor(...) copies or torch.no_grad().")
    got = got or [None] * len(leaves)

    ref_leaves = [torch.Tensor.requires_grad_(t.clone()) for t in leaves]
    ref_out = _ref_conv2d(ref_leaves[0], ref_leaves[1], ref_leaves[2] if bias is not None else None,
                          stride=s, padding=p)
    want = _autograd_grad((ref_out * upstream).sum(), ref_leaves)
    for leaf_name, g, r in zip(names, got, want):
        if g is None:
            raise Feedback(f"No gradient reaches {leaf_name}: {name} does not use {leaf_name} in a "
                           "way autograd can follow (was it detached or copied into a new tensor?).")
        assert_close(g, r, f"the gradient of sum(out * g) w.r.t. {leaf_name}", rtol=RTOL, atol=ATOL,
                     hint="the forward values are right, so something breaks the graph or reuses "
                          "a tensor modified in place.")


@contextlib.contextmanager
def _deadline(sub, seconds: float):
    """Stop the learner's call after `seconds` (in its own process) and say so."""
    try:
        with sub.within(seconds):
            yield
    except LearnerError as exc:
        if not exc.deadline:
            raise
        raise Feedback(f"conv2d is too slow: 8 x 3 x 32 x 32 with 16 filters of 3 x 3 was still running"
                       f" after {seconds:.1f} s, and it should take well under a second. Replace the Python"
                       " loops over images, channels and pixels with tensor operations (Tensor.unfold"
                       " and one einsum or matmul).") from None


NOMINAL_YARDSTICK_S = 0.004  # the yardstick below on a quiet 2-core machine


def _yardstick(x, weight, bias) -> float:
    """Seconds a vectorised conv2d (unfold and one einsum) takes on this batch here, now: speed is
    judged against it, so a busy machine slows the limit as much as the learner's code."""
    best = float("inf")
    for _ in range(3):
        start = _perf_counter()
        patches = torch.nn.functional.pad(x, (1, 1, 1, 1)).unfold(2, 3, 1).unfold(3, 3, 1)
        torch.einsum("nchwij,ocij->nohw", patches, weight) + bias.view(1, -1, 1, 1)
        best = min(best, _perf_counter() - start)
    return best


@pytest.mark.timed
@pytest.mark.points(2)
def test_fast_enough(sub):
    """A batch of 8 x 3 x 32 x 32 with 16 filters of 3 x 3 takes well under a second."""
    slow = ("conv2d is too slow: {what} took {t:.2f} s, {ratio:.0f} times a vectorised conv2d on"
            " this machine now. A batch of 8 x 3 x 32 x 32 images with 16 "
            "filters of 3 x 3 should take well under a second. Replace the Python loops over "
            "images, channels and pixels with tensor operations: cut out all patches at once with "
            "Tensor.unfold and multiply them with the filters in one einsum or matmul.")
    # A small probe first, so that a pixel-by-pixel loop fails in a fraction of a second instead
    # of running for minutes on the full batch (the full batch is 288 times more work).
    px, pw, _ = _inputs((1, 3, 12, 12, 4, 3, 3, 1, 0, False), seed=700)
    x, weight, bias = _inputs((8, 3, 32, 32, 16, 3, 3, 1, 1, True), seed=701)
    # Limits on a quiet machine, times how much slower this one runs now (never below 1).
    yardstick = _yardstick(x, weight, bias)
    scale = max(1.0, yardstick / NOMINAL_YARDSTICK_S)
    elapsed = float("inf")
    for _ in range(2):   # a second try only if the first was slow (a busy moment)
        start = _perf_counter()
        out = sub.conv2d(px, pw)
        elapsed = min(elapsed, _perf_counter() - start)
        if elapsed < 0.25 * scale:
            break
    _check_output(out, (1, 3, 12, 12, 4, 3, 3, 1, 0, False), "conv2d(x, weight) on 1 x 3 x 12 x 12")
    if elapsed > 0.25 * max(scale, _yardstick(x, weight, bias) / NOMINAL_YARDSTICK_S):
        raise Feedback(slow.format(what="a single 1 x 3 x 12 x 12 image with 4 filters of 3 x 3",
                                   t=elapsed, ratio=elapsed / yardstick))
    best = float("inf")
    for _ in range(3):
        start = _perf_counter()
        with _deadline(sub, 1.5 * scale):  # stopped well inside the check's own time limit, and told so
            out = sub.conv2d(x, weight, bias, 1, 1)
        best = min(best, _perf_counter() - start)
        if best < 0.2 * scale:
            break
    _check_output(out, (8, 3, 32, 32, 16, 3, 3, 1, 1, True), "conv2d on 8 x 3 x 32 x 32")
    # Measured again after the learner's runs: the load may have changed while they ran.
    scale = max(scale, _yardstick(x, weight, bias) / NOMINAL_YARDSTICK_S)
    if best > 1.0 * scale:
        raise Feedback(slow.format(what="8 x 3 x 32 x 32 with 16 filters of 3 x 3", t=best,
                                   ratio=best / yardstick))
