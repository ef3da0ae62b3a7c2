"""Hidden checks for exercises/04_conv/conv2d_backward.py: the hand-written gradients of a
convolution equal autograd's through F.conv2d."""
from __future__ import annotations

import pytest
import torch

from grader.checks.localise import Variation, localised
from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, describe, randn

# Oracles.
from torch.nn.functional import conv2d as _ref_conv2d
from torch.nn.functional import pad as _ref_pad
from torch.autograd import grad as _autograd_grad


def _double(t):
    return t.to(torch.float64)


RTOL, ATOL = 1e-4, 1e-4   # float32 sums of a few dozen products

# (N, C_in, H, W, C_out, kH, kW, stride, padding, dtype): strides 1-3, paddings 0-2, non-square
# inputs and kernels, a batch of 1, several channels, rows and columns no filter position covers.
CONFIGS = [
    (1, 1, 5, 5, 1, 3, 3, 1, 0, torch.float32),
    (2, 3, 7, 9, 4, 3, 2, 2, 1, torch.float32),
    (3, 2, 8, 6, 5, 2, 3, 3, 2, torch.float32),
    (2, 3, 9, 7, 3, 3, 3, 1, 2, torch.float32),       # C_in == C_out
    (2, 2, 10, 11, 2, 4, 2, 3, 1, torch.float32),     # C_in == C_out, stride 3
    (1, 4, 6, 10, 2, 1, 1, 1, 0, torch.float32),      # 1 x 1 filters
    (2, 2, 9, 8, 3, 3, 3, 2, 0, torch.float32),       # the last column is never covered
    (2, 3, 6, 6, 2, 3, 3, 2, 1, torch.float64),
]


def _ids(config):
    n, c_in, h, w, c_out, kh, kw, s, p, dtype = config
    return (f"x{n}x{c_in}x{h}x{w}-w{c_out}x{c_in}x{kh}x{kw}-s{s}-p{p}"
            f"{'-float64' if dtype == torch.float64 else ''}")


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _inputs(config):
    n, c_in, h, w, c_out, kh, kw, s, p, dtype = config
    seed = 300 + 13 * CONFIGS.index(config)
    x = randn(n, c_in, h, w, seed=seed, dtype=dtype)
    weight = randn(c_out, c_in, kh, kw, seed=seed + 1, dtype=dtype)
    grad_out = randn(n, c_out, _out_size(h, kh, s, p), _out_size(w, kw, s, p), seed=seed + 2, dtype=dtype)
    return x, weight, grad_out


def _reference_grads(x, weight, grad_out, stride, padding):
    """(grad_x, grad_w, grad_b) by autograd through F.conv2d, in float64."""
    xr = torch.Tensor.requires_grad_(_double(x.clone()))
    wr = torch.Tensor.requires_grad_(_double(weight.clone()))
    br = torch.Tensor.requires_grad_(torch.zeros(weight.shape[0], dtype=torch.float64))
    out = _ref_conv2d(xr, wr, br, stride=stride, padding=padding)
    return _autograd_grad(out, (xr, wr, br), _double(grad_out))


def _stride_ignored_grads(x, weight, grad_out, stride, padding):
    """What a backward that walks the input with step 1 instead of `stride` gives."""
    kh, kw = weight.shape[-2:]
    h_out, w_out = grad_out.shape[-2:]
    xr = torch.Tensor.requires_grad_(_double(x.clone()))
    wr = torch.Tensor.requires_grad_(_double(weight.clone()))
    x_padded = _ref_pad(xr, (padding, padding, padding, padding))
    out = _ref_conv2d(x_padded[:, :, :h_out - 1 + kh, :w_out - 1 + kw], wr)
    return _autograd_grad(out, (xr, wr), _double(grad_out))


def _grad_x_cropped_wrong(x, weight, grad_out, stride, padding):
    """grad_x cut from the top-left corner of grad_x_padded instead of its centre."""
    h, w = x.shape[-2:]
    xp = torch.Tensor.requires_grad_(_ref_pad(_double(x.clone()), (padding, padding, padding, padding)))
    out = _ref_conv2d(xp, _double(weight), stride=stride)
    (g,) = _autograd_grad(out, (xp,), _double(grad_out))
    return g[:, :, :h, :w]


def _call(sub, config):
    """Call conv2d_backward on fresh copies (not requiring grad) and check the result's structure."""
    n, c_in, h, w, c_out, kh, kw, s, p, dtype = config
    x, weight, grad_out = _inputs(config)
    x_in, w_in, g_in = x.clone(), weight.clone(), grad_out.clone()
    name = f"conv2d_backward(x, weight, grad_out, stride={s}, padding={p})"
    result = sub.conv2d_backward(x_in, w_in, g_in, s, p)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise Feedback(f"{name} returned {describe(result)}; expected a tuple (grad_x, grad_w, grad_b).")
    mistake = "an in-place operation on an input (+=, add_, copy_, ...); work on new tensors"
    assert_unchanged(x, x_in, "x", mistake=mistake)
    assert_unchanged(weight, w_in, "weight", mistake=mistake)
    assert_unchanged(grad_out, g_in, "grad_out", mistake=mistake)
    return name, (x, weight, grad_out), result


# Where a failing case turns wrong: from the simplest convolution, one parameter at a time.
VARIATION = Variation(
    simplest=dict(batch=1, in_channels=1, height=5, width=5, out_channels=1, kernel_h=3, kernel_w=3,
                  stride=1, padding=0, dtype="float32"),
    steps=dict(batch=(2,), in_channels=(3,), out_channels=(2,), height=(7,), kernel_h=(2,), stride=(2,),
               padding=(1,), dtype=("float64",)),
    advice=dict(batch="look at how the batch axis is handled (grad_w sums over every image)",
                in_channels="each input channel c gets its own weight[o, c]",
                out_channels="sum over every output channel o",
                height="a non-square input: H is x.shape[2] and W is x.shape[3]; check which you use where",
                kernel_h="a non-square kernel: kH is weight.shape[2] and kW is weight.shape[3]",
                stride="output position (i, j) came from the patch at rows i * stride + u and columns"
                       " j * stride + v",
                padding="grad_x is the padded gradient with `padding` rows and columns cut off on every side",
                dtype="make new tensors with the inputs' dtype (dtype=x.dtype)"))


def _agrees_on(sub, which: int):
    """Whether gradient `which` (0: x, 1: w) of the learner's conv2d_backward equals autograd's."""
    def right(case) -> bool:
        n, c_in, h, w, c_out, kh, kw, s, p = (case[k] for k in list(VARIATION.simplest)[:9])
        dtype = torch.float64 if case["dtype"] == "float64" else torch.float32
        x = randn(n, c_in, h, w, seed=4244, dtype=dtype)
        weight = randn(c_out, c_in, kh, kw, seed=4245, dtype=dtype)
        grad_out = randn(n, c_out, _out_size(h, kh, s, p), _out_size(w, kw, s, p), seed=4246, dtype=dtype)
        got = sub.conv2d_backward(x.clone(), weight.clone(), grad_out.clone(), s, p)[which]
        want = _reference_grads(x, weight, grad_out, s, p)[which]
        return (isinstance(got, torch.Tensor) and (dtype != torch.float64 or got.dtype == dtype)
                and tuple(got.shape) == tuple(want.shape)
                and bool(torch.allclose(got.double(), want, rtol=RTOL, atol=ATOL)))
    return right


def _case(config) -> dict:
    *sizes, dtype = config
    return {**dict(zip(VARIATION.simplest, sizes)), "dtype": "float64" if dtype == torch.float64 else "float32"}


def _precision(x):
    """The dtype a gradient must have: float64 inputs keep float64 (a float32 buffer loses it);
    for float32 inputs any float dtype, a float64 computation included."""
    return torch.float64 if x.dtype == torch.float64 else "floating"


def _where(config):
    n, c_in, h, w, c_out, kh, kw, s, p, _ = config
    return f" (x {(n, c_in, h, w)}, weight {(c_out, c_in, kh, kw)}, stride={s}, padding={p})"


@pytest.mark.points(1)
def test_worked_example(sub):
    """The worked example from the docstring: a 3 x 3 image, a 2 x 2 filter, grad_out all ones."""
    x = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    weight = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    grad_out = torch.tensor([[[[1.0, 1.0], [1.0, 1.0]]]])
    result = sub.conv2d_backward(x.clone(), weight.clone(), grad_out.clone())
    name = "conv2d_backward(x, weight, grad_out)"
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise Feedback(f"{name} returned {describe(result)}; expected a tuple (grad_x, grad_w, grad_b).")
    grad_x, grad_w, grad_b = result
    check_array(grad_x, "grad_x", shape=(1, 1, 3, 3), dtype="floating", kind="tensor")
    assert_close(grad_x, torch.tensor([[[[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]]]), "grad_x",
                 rtol=RTOL, atol=ATOL,
                 diagnose=[("grad_x computed with the kernel not flipped (each output position adds "
                            "weight[u, v] onto x_padded[i*stride + u, j*stride + v]: in the 'full "
                            "convolution' view, that is a cross-correlation with weight.flip(2, 3))",
                            torch.tensor([[[[4.0, 7.0, 3.0], [6.0, 10.0, 4.0], [2.0, 3.0, 1.0]]]]))],
                 hint="grad_x[0, 0, 1, 1] = 1 + 2 + 3 + 4 = 10: the centre pixel is in all four "
                      "patches, once under each filter entry.")
    check_array(grad_w, "grad_w", shape=(1, 1, 2, 2), dtype="floating", kind="tensor")
    assert_close(grad_w, torch.tensor([[[[12.0, 16.0], [24.0, 28.0]]]]), "grad_w", rtol=RTOL, atol=ATOL,
                 hint="grad_w[0, 0, 0, 0] = 1 + 2 + 4 + 5 = 12: the entries weight[0, 0, 0, 0] "
                      "multiplied, one per output position.")
    check_array(grad_b, "grad_b", shape=(1,), dtype="floating", kind="tensor")
    assert_close(grad_b, torch.tensor([4.0]), "grad_b", rtol=RTOL, atol=ATOL,
                 hint="the bias is added to all four outputs, so its gradient is their sum.")


@pytest.mark.points(1)
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_grad_x(sub, config):
    """grad_x equals autograd's gradient w.r.t. x through F.conv2d."""
    n, c_in, h, w, c_out, kh, kw, s, p, _ = config
    name, (x, weight, grad_out), (grad_x, _, _) = _call(sub, config)
    label = f"grad_x from {name}"
    with localised(VARIATION, _agrees_on(sub, 0), case=_case(config)):
        check_array(grad_x, label, kind="tensor")
        if tuple(grad_x.shape) == (n, c_in, h + 2 * p, w + 2 * p) and p > 0:
            raise Feedback(f"{label} has shape {tuple(grad_x.shape)}, expected {(n, c_in, h, w)}."
                           f"\nLikely mistake: the padding was not cut off: grad_x is the gradient "
                           f"w.r.t. the padded input; remove `padding` rows and columns on every side.")
        check_array(grad_x, label, shape=(n, c_in, h, w), dtype=_precision(x), kind="tensor")
        want_x, _, _ = _reference_grads(x, weight, grad_out, s, p)
        diagnoses = []
        if kh > 1 or kw > 1:
            diagnoses.append(("the kernel was not flipped: each output position (i, j) adds "
                              "grad_out[n, o, i, j] * weight[o, c, u, v] onto x_padded[n, c, i*stride + u, "
                              "j*stride + v]; as a 'full convolution' that means cross-correlating with "
                              "weight.flip(2, 3)",
                              _reference_grads(x, torch.flip(weight, (2, 3)), grad_out, s, p)[0]))
        if c_in == c_out and c_in > 1:
            diagnoses.append(("the kernel's input and output channels were not swapped: grad_x channel c "
                              "collects weight[o, c] over all output channels o (weight.transpose(0, 1) "
                              "in the 'full convolution' view)",
                              _reference_grads(x, weight.transpose(0, 1), grad_out, s, p)[0]))
        if s > 1:
            diagnoses.append((f"the stride was ignored in the backward pass: output position (i, j) came "
                              f"from the patch at rows i*stride + u and columns j*stride + v (stride={s}), "
                              f"not i + u and j + v",
                              _stride_ignored_grads(x, weight, grad_out, s, p)[0]))
        if p > 0:
            diagnoses.append(("the padding was cut off on one side only: grad_x is "
                              "grad_x_padded[:, :, padding:padding + H, padding:padding + W]",
                              _grad_x_cropped_wrong(x, weight, grad_out, s, p)))
        assert_close(grad_x, want_x, label + _where(config), rtol=RTOL, atol=ATOL, diagnose=diagnoses,
                     hint="grad_x_padded[n, c, i*stride + u, j*stride + v] collects grad_out[n, o, i, j] "
                          "* weight[o, c, u, v] over o, i, j, u, v; overlapping patches add up (+=), "
                          "and the rows/columns no patch covers get 0.")


@pytest.mark.points(1)
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_grad_w(sub, config):
    """grad_w equals autograd's gradient w.r.t. the weight through F.conv2d."""
    n, c_in, h, w, c_out, kh, kw, s, p, _ = config
    name, (x, weight, grad_out), (_, grad_w, _) = _call(sub, config)
    label = f"grad_w from {name}"
    with localised(VARIATION, _agrees_on(sub, 1), case=_case(config)):
        check_array(grad_w, label, kind="tensor")
        if tuple(grad_w.shape) == (n, c_out, c_in, kh, kw):
            raise Feedback(f"{label} has shape {tuple(grad_w.shape)}, expected {(c_out, c_in, kh, kw)}."
                           f"\nLikely mistake: grad_w was not summed over the batch: all N images share "
                           f"the same weights, so their contributions add up into one gradient.")
        check_array(grad_w, label, shape=(c_out, c_in, kh, kw), dtype=_precision(x), kind="tensor")
        _, want_w, _ = _reference_grads(x, weight, grad_out, s, p)
        diagnoses = []
        if n > 1:
            diagnoses.append(("grad_w was averaged over the batch instead of summed: the images share "
                              "the weights, so the gradient is the sum of their contributions",
                              want_w / n))
            diagnoses.append(("grad_w was not summed over the batch: it holds the first image's "
                              "contribution only",
                              _reference_grads(x[:1], weight, grad_out[:1], s, p)[1]))
            diagnoses.append(("grad_w was not summed over the batch: it holds the last image's "
                              "contribution only",
                              _reference_grads(x[-1:], weight, grad_out[-1:], s, p)[1]))
        if kh > 1 or kw > 1:
            diagnoses.append(("grad_w is flipped: grad_w[o, c, u, v] pairs grad_out[n, o, i, j] with "
                              "x_padded[n, c, i*stride + u, j*stride + v], without flipping",
                              torch.flip(want_w, (2, 3))))
        if s > 1:
            diagnoses.append((f"the stride was ignored in the backward pass: the patch of output "
                              f"position (i, j) starts at row i*stride and column j*stride (stride={s})",
                              _stride_ignored_grads(x, weight, grad_out, s, p)[1]))
        assert_close(grad_w, want_w, label + _where(config), rtol=RTOL, atol=ATOL, diagnose=diagnoses,
                     hint="grad_w[o, c, u, v] sums grad_out[n, o, i, j] * x_padded[n, c, i*stride + u, "
                          "j*stride + v] over the batch n and the positions i, j.")


@pytest.mark.points(2)
def test_grad_b(sub):
    """grad_b equals autograd's gradient w.r.t. the bias, for every configuration."""
    for config in CONFIGS:
        n, c_in, h, w, c_out, kh, kw, s, p, _ = config
        name, (x, weight, grad_out), (_, _, grad_b) = _call(sub, config)
        label = f"grad_b from {name}"
        check_array(grad_b, label, kind="tensor")
        h_out, w_out = grad_out.shape[-2:]
        shape = tuple(grad_b.shape)
        if shape == (n, c_out) or shape == (n, c_out, 1, 1):
            raise Feedback(f"{label} has shape {shape}, expected {(c_out,)}.\nLikely mistake: grad_b "
                           f"was computed per sample: every image uses the same bias, so sum over "
                           f"the batch axis too.")
        if shape in ((c_out, h_out, w_out), (1, c_out, h_out, w_out)):
            raise Feedback(f"{label} has shape {shape}, expected {(c_out,)}.\nLikely mistake: grad_b "
                           f"was summed over the batch only: the bias is added at every position, so "
                           f"sum over the height and width axes too.")
        check_array(grad_b, label, shape=(c_out,), dtype=_precision(x), kind="tensor")
        want_b = _reference_grads(x, weight, grad_out, s, p)[2]
        diagnoses = [("grad_b was averaged instead of summed: the gradient of a sum of outputs "
                      "is the sum of their gradients", want_b / (n * h_out * w_out))]
        if n > 1:
            diagnoses.append(("grad_b was averaged over the batch instead of summed", want_b / n))
            diagnoses.append(("grad_b was not summed over the batch: it holds the first image's "
                              "contribution only", torch.Tensor.sum(_double(grad_out[:1]), (0, 2, 3))))
        assert_close(grad_b, want_b, label + _where(config), rtol=RTOL, atol=ATOL, diagnose=diagnoses,
                     hint="grad_b[o] is the sum of grad_out[n, o, i, j] over n, i and j.")
