"""Hidden checks for exercises/05_modules/modules.py: Linear, MLP, Square."""
from __future__ import annotations

import pytest
import torch

from grader.checks.helpers import Feedback, assert_close, check_array, learner_call, randn, torch_generator

# Oracles and library functions, bound at import (before the submission is loaded).
from torch.autograd import gradcheck as _gradcheck
from torch.nn import Linear as _RefLinear
from torch.nn import Module as _Module
from torch.nn import Parameter as _Parameter
from torch.nn import ReLU as _ReLU
from torch.nn.functional import binary_cross_entropy_with_logits as _bce_logits
from torch.nn.functional import linear as _ref_linear
from torch.nn.functional import relu as _relu
from torch.optim import Adam as _Adam

_float64 = torch.float64
_no_grad = torch.no_grad
_rand = torch.rand
_tensor = torch.tensor
_isfinite = torch.isfinite
_BackwardCFunction = torch.autograd.function.BackwardCFunction
_Function = torch.autograd.Function


LINEAR_SHAPES = [(1, 3, 5), (4, 5, 3), (7, 6, 6), (2, 1, 4)]   # (batch, in_features, out_features)
NOT_TRANSPOSED = "x @ weight without the transpose; the layer computes x @ weight.T + bias"




def _make_linear(sub, n_in: int, n_out: int):
    layer = sub.Linear(n_in, n_out)
    if not isinstance(layer, _Module):
        raise Feedback(f"Linear({n_in}, {n_out}) is not an nn.Module: subclass nn.Module and call "
                       "super().__init__() first.")
    return layer


def _linear_params(layer, n_in: int, n_out: int):
    """The registered weight and bias, with the right shapes, or feedback saying what is wrong."""
    name = f"Linear({n_in}, {n_out})"
    params = dict(layer.named_parameters())
    for attr in ("weight", "bias"):
        if attr not in params:
            value = getattr(layer, attr, None)
            if isinstance(value, torch.Tensor):
                raise Feedback(
                    f"{name}.{attr} is a plain tensor, not a registered parameter: it is missing "
                    f"from parameters() and state_dict(), so an optimizer never updates it. "
                    f"Likely mistake: parameters stored as plain tensors; wrap them in nn.Parameter(...).")
            raise Feedback(f"{name} has no parameter named '{attr}' (found {sorted(params) or 'none'}). "
                           "Name them weight and bias, as nn.Linear does, and wrap them in nn.Parameter.")
    if sorted(params) != ["bias", "weight"]:
        raise Feedback(f"{name} has the parameters {sorted(params)}; expected exactly weight and bias.")
    weight, bias = params["weight"], params["bias"]
    if tuple(weight.shape) == (n_in, n_out) and n_in != n_out:
        raise Feedback(f"{name}.weight has shape {tuple(weight.shape)}, expected ({n_out}, {n_in}). "
                       "Likely mistake: weight stored as (in_features, out_features); store it as "
                       "(out_features, in_features), like nn.Linear, and use weight.T in forward.")
    check_array(weight, f"{name}.weight", shape=(n_out, n_in), dtype="floating", kind="tensor")
    check_array(bias, f"{name}.bias", shape=(n_out,), dtype="floating", kind="tensor")
    return weight, bias


def _set_params(layer, n_in: int, n_out: int, seed: int):
    """Give a learner's Linear known values (so the check does not depend on its initialisation)."""
    weight, bias = _linear_params(layer, n_in, n_out)
    k = 1.0 / n_in ** 0.5
    g = torch_generator(seed)
    with _no_grad():
        weight.copy_((_rand(n_out, n_in, generator=g) * 2 - 1) * k)
        bias.copy_((_rand(n_out, generator=g) * 2 - 1) * k)
    return weight, bias


# --- Linear ------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("n_in, n_out", [(3, 5), (4, 4), (1, 2)])
def test_linear_parameters_are_registered(sub, n_in, n_out):
    """Linear registers weight (out, in) and bias (out,) as nn.Parameters with a random start."""
    layer = _make_linear(sub, n_in, n_out)
    weight, bias = _linear_params(layer, n_in, n_out)
    for name, p in (("weight", weight), ("bias", bias)):
        if not isinstance(p, _Parameter) or not p.requires_grad:
            raise Feedback(f"Linear({n_in}, {n_out}).{name} does not require grad: create it with "
                           "nn.Parameter(...) so autograd tracks it.")
        if not bool(_isfinite(p.detach()).all()):
            raise Feedback(f"Linear({n_in}, {n_out}).{name} contains nan or inf: torch.empty(...) "
                           "leaves memory uninitialised; fill it, e.g. with .uniform_(-k, k).")
    flat = weight.detach().reshape(-1)
    if flat.numel() > 1 and bool((flat == flat[0]).all()):
        raise Feedback(f"Every entry of Linear({n_in}, {n_out}).weight is {float(flat[0]):.4g}: "
                       "identical weights make every unit learn the same thing. Initialise them "
                       "randomly, e.g. uniform in [-1/sqrt(in_features), 1/sqrt(in_features)].")
    keys = sorted(layer.state_dict())
    if keys != ["bias", "weight"]:
        raise Feedback(f"Linear's state_dict has the keys {keys}; expected ['bias', 'weight'].")


@pytest.mark.points(3)
@pytest.mark.parametrize("batch, n_in, n_out", LINEAR_SHAPES)
def test_linear_forward_matches_nn_linear(sub, batch, n_in, n_out):
    """Linear's state_dict loads into nn.Linear and both give the same output."""
    layer = _make_linear(sub, n_in, n_out)
    weight, bias = _set_params(layer, n_in, n_out, seed=10 * n_in + n_out)
    reference = _RefLinear(n_in, n_out)
    learner_call(lambda: reference.load_state_dict(layer.state_dict()), "nn.Linear.load_state_dict(your state_dict)",
          "weight must be (out_features, in_features) and bias (out_features,)")
    x = randn(batch, n_in, seed=batch + 100 * n_in)
    got = learner_call(lambda: layer(x.clone()), f"Linear({n_in}, {n_out})(x) with x of shape {tuple(x.shape)}",
                NOT_TRANSPOSED)
    check_array(got, f"Linear({n_in}, {n_out})(x)", shape=(batch, n_out), dtype="floating", kind="tensor")
    with _no_grad():
        want = reference(x)
        wrong = []
        if n_in == n_out:
            wrong.append((NOT_TRANSPOSED, x @ weight + bias))
        wrong.append(("the bias is missing", x @ weight.T))
    assert_close(got, want, f"Linear({n_in}, {n_out})(x)", rtol=1e-5, atol=1e-6, diagnose=wrong,
                 hint="y = x @ weight.T + bias")


def test_linear_worked_example(sub):
    """The worked example: weight [[1, 2], [3, 4], [5, 6]], bias [0, 0, 1], x [[1, 1]] -> [[3, 7, 12]]."""
    layer = _make_linear(sub, 2, 3)
    weight, bias = _linear_params(layer, 2, 3)
    with _no_grad():
        weight.copy_(_tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        bias.copy_(_tensor([0.0, 0.0, 1.0]))
    got = learner_call(lambda: layer(_tensor([[1.0, 1.0]])), "Linear(2, 3)(x)", NOT_TRANSPOSED)
    check_array(got, "Linear(2, 3)(x)", shape=(1, 3), dtype="floating", kind="tensor")
    assert_close(got, _tensor([[3.0, 7.0, 12.0]]), "Linear(2, 3)([[1, 1]])", rtol=1e-6, atol=1e-6,
                 diagnose=[("the bias is missing", _tensor([[3.0, 7.0, 11.0]]))],
                 hint="y = x @ weight.T + bias")


@pytest.mark.points(2)
@pytest.mark.parametrize("batch, n_in, n_out", [(1, 3, 5), (6, 4, 2)])
def test_linear_gradients(sub, batch, n_in, n_out):
    """Gradients reach weight, bias and the input, equal to autograd through F.linear."""
    layer = _make_linear(sub, n_in, n_out)
    weight, bias = _set_params(layer, n_in, n_out, seed=7 * n_in + n_out)
    w_ref = weight.detach().clone().requires_grad_(True)
    b_ref = bias.detach().clone().requires_grad_(True)
    x = randn(batch, n_in, seed=3 + batch, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    upstream = randn(batch, n_out, seed=5 + batch)
    layer.zero_grad()
    out = learner_call(lambda: layer(x), f"Linear({n_in}, {n_out})(x)", NOT_TRANSPOSED)
    check_array(out, f"Linear({n_in}, {n_out})(x)", shape=(batch, n_out), dtype="floating", kind="tensor")
    if out.grad_fn is None:
        raise Feedback("Linear's output has no grad_fn: autograd recorded nothing. Do not use "
                       "torch.no_grad(), .detach() or .data in forward.")
    (out * upstream).sum().backward()
    (_ref_linear(x_ref, w_ref, b_ref) * upstream).sum().backward()
    for name, p, ref in (("weight", weight, w_ref), ("bias", bias, b_ref), ("the input x", x, x_ref)):
        if p.grad is None:
            raise Feedback(f"After backward(), {name} has no gradient: it is not connected to the output.")
        assert_close(p.grad, ref.grad, f"the gradient of {name}", rtol=1e-5, atol=1e-6)


# --- MLP ---------------------------------------------------------------------------------------

def _mlp_linears(sub, model, sizes: list[int]):
    """The learner's Linear layers in registration order, with the right shapes."""
    if not isinstance(model, _Module):
        raise Feedback("MLP(sizes) is not an nn.Module.")
    linears = [m for m in model.modules() if isinstance(m, sub.Linear)]
    if len(linears) != len(sizes) - 1:
        raise Feedback(f"MLP({sizes}) contains {len(linears)} Linear layers, expected {len(sizes) - 1} "
                       "(one per consecutive pair of sizes). Register them as attributes, in an "
                       "nn.Sequential or an nn.ModuleList (a plain Python list is not registered).")
    for i, layer in enumerate(linears):
        _linear_params(layer, sizes[i], sizes[i + 1])
    return linears


def _oracle_mlp(x, params, relu_last: bool = False, relu_hidden: bool = True):
    h = x
    for i, (w, b) in enumerate(params):
        h = _ref_linear(h, w, b)
        last = i == len(params) - 1
        if (last and relu_last) or (not last and relu_hidden):
            h = _relu(h)
    return h


MLP_CALL_HINT = ("each Linear(sizes[i], sizes[i + 1]) maps sizes[i] features to sizes[i + 1], and "
                 "Linear.forward computes x @ weight.T + bias")
MLP_SIZES = [[2, 8, 1], [3, 5, 4, 2], [4, 3], [5, 7, 6, 5, 3]]


@pytest.mark.points(2)
@pytest.mark.parametrize("sizes", MLP_SIZES, ids=lambda s: "-".join(map(str, s)))
def test_mlp_structure(sub, sizes):
    """MLP(sizes) is Linear, ReLU, ..., Linear with the right sizes and no ReLU after the last Linear."""
    model = sub.MLP(list(sizes))
    _mlp_linears(sub, model, sizes)
    layers = [m for m in model.modules() if isinstance(m, (sub.Linear, _ReLU))]
    relus = [m for m in layers if isinstance(m, _ReLU)]
    if relus:  # ReLU modules (F.relu / torch.relu in forward is fine too: test_mlp_forward checks it)
        names = ["Linear" if isinstance(m, sub.Linear) else "ReLU" for m in layers]
        want = ["Linear", "ReLU"] * (len(sizes) - 2) + ["Linear"]
        if names != want:
            extra = (" Likely mistake: a ReLU after the last layer; the output should be the raw "
                     "scores of the last Linear." if names == want + ["ReLU"] else "")
            raise Feedback(f"MLP({sizes}) has the layers {names}, expected {want}.{extra}")


@pytest.mark.points(3)
@pytest.mark.parametrize("sizes, batch", [([2, 8, 1], 1), ([3, 5, 4, 2], 6), ([4, 3], 5), ([5, 7, 6, 5, 3], 3)],
                         ids=["2-8-1", "3-5-4-2", "4-3", "5-7-6-5-3"])
def test_mlp_forward(sub, sizes, batch):
    """MLP(sizes)(x) equals Linear, ReLU, ..., Linear computed with torch.nn.functional."""
    model = sub.MLP(list(sizes))
    linears = _mlp_linears(sub, model, sizes)
    params = [_set_params(layer, sizes[i], sizes[i + 1], seed=31 * i + len(sizes)) for i, layer in enumerate(linears)]
    x = randn(batch, sizes[0], seed=11 * batch + sizes[0]) * 2
    got = learner_call(lambda: model(x.clone()), f"MLP({sizes})(x)", MLP_CALL_HINT)
    check_array(got, f"MLP({sizes})(x)", shape=(batch, sizes[-1]), dtype="floating", kind="tensor")
    with _no_grad():
        want = _oracle_mlp(x, params)
        wrong = [("a ReLU after the last layer; the output should be the raw scores of the last Linear",
                  _oracle_mlp(x, params, relu_last=True)),
                 ("no ReLU between the Linear layers", _oracle_mlp(x, params, relu_hidden=False))]
    assert_close(got, want, f"MLP({sizes})(x)", rtol=1e-5, atol=1e-6, diagnose=wrong,
                 hint="apply the layers in order, with a ReLU after every Linear except the last")


@pytest.mark.points(3)
def test_mlp_learns_xor(sub):
    """MLP([2, 16, 16, 1]) trained with Adam (lr 0.05, 150 steps, seeded start) learns XOR."""
    sizes = [2, 16, 16, 1]
    model = sub.MLP(list(sizes))
    linears = _mlp_linears(sub, model, sizes)
    for i, layer in enumerate(linears):
        _set_params(layer, sizes[i], sizes[i + 1], seed=1000 + i)
    params = list(model.parameters())
    if len(params) != 2 * (len(sizes) - 1):
        raise Feedback(f"MLP({sizes}).parameters() yields {len(params)} tensors, expected "
                       f"{2 * (len(sizes) - 1)} (a weight and a bias per Linear).")
    x = _tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = _tensor([[0.0], [1.0], [1.0], [0.0]])
    optimizer = _Adam(params, lr=0.05)
    loss = None
    for _ in range(150):
        out = learner_call(lambda: model(x), f"MLP({sizes})(x)", MLP_CALL_HINT)
        loss = _bce_logits(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with _no_grad():
        out = model(x)
    predictions = [int(v > 0) for v in out.reshape(-1).tolist()]
    if predictions != [0, 1, 1, 0] or loss.item() > 0.05:
        raise Feedback(f"After 150 Adam steps the MLP predicts {predictions} for XOR (expected "
                       f"[0, 1, 1, 0]) with a loss of {loss.item():.4g}. Check that every Linear's "
                       "parameters are registered, that a ReLU follows each hidden layer, and that "
                       "the last layer has no ReLU.")


# --- Square ------------------------------------------------------------------------------------

def _check_square_function(sub):
    cls = getattr(sub, "Square", None)
    if not (isinstance(cls, type) and issubclass(cls, _Function)):
        raise Feedback("Square should be a subclass of torch.autograd.Function.")
    if "backward" not in vars(cls):
        raise Feedback("Square does not define its own backward: write a @staticmethod "
                       "backward(ctx, grad_output) that returns grad_output * 2 * x.")


def _square_output(sub, x):
    _check_square_function(sub)
    y = learner_call(lambda: sub.square(x), "square(x)", "forward should return x * x")
    check_array(y, "square(x)", shape=tuple(x.shape), dtype=x.dtype, kind="tensor")
    if x.requires_grad:
        node = y.grad_fn
        if not isinstance(node, _BackwardCFunction) or getattr(node, "_forward_cls", None) is not sub.Square:
            raise Feedback("square(x) did not go through Square: its backward is autograd's, not yours. "
                           "square should return Square.apply(x), and Square.forward should compute "
                           "the result directly.")
    return y


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", [(1,), (3,), (4, 5), (2, 3, 4)], ids=lambda s: "x".join(map(str, s)))
def test_square_forward(sub, shape):
    """square(x) == x**2 (shape and dtype kept)."""
    x = randn(*shape, seed=len(shape) * 17 + shape[0])
    y = _square_output(sub, x.clone())
    assert_close(y, x * x, "square(x)", rtol=1e-6, atol=1e-7, diagnose=[("returned 2 * x, the derivative", 2 * x)])


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4)], ids=lambda s: "x".join(map(str, s)))
def test_square_backward(sub, shape):
    """Square's hand-written backward returns grad_output * 2 * x."""
    x = randn(*shape, seed=41 + shape[0], requires_grad=True)
    upstream = randn(*shape, seed=43 + shape[0]) * 3
    y = _square_output(sub, x)
    y.backward(upstream)
    if x.grad is None:
        raise Feedback("After backward(), x has no gradient: Square.backward must return the gradient "
                       "for x.")
    xd = x.detach()
    check_array(x.grad, "the gradient of x", shape=tuple(x.shape), kind="tensor")
    assert_close(x.grad, upstream * 2 * xd, "the gradient of x through Square", rtol=1e-5, atol=1e-6,
                 diagnose=[("the factor 2 is missing: d(x**2)/dx = 2x", upstream * xd),
                           ("the incoming grad_output is ignored; by the chain rule dL/dx = grad_output * 2x",
                            2 * xd),
                           ("returned grad_output * x**2 instead of grad_output * 2x", upstream * xd * xd)],
                 hint="backward returns grad_output * 2 * x, with x saved in forward")


@pytest.mark.points(2)
def test_square_gradcheck(sub):
    """Square passes torch.autograd.gradcheck in float64."""
    x = randn(3, 4, seed=99, dtype=_float64, requires_grad=True)
    _square_output(sub, x)
    ok = learner_call(lambda: _gradcheck(sub.square, (x,), eps=1e-6, atol=1e-5, raise_exception=False),
               "torch.autograd.gradcheck(square, (x,))", "backward should return grad_output * 2 * x")
    if not ok:
        raise Feedback("torch.autograd.gradcheck(square, (x,)) failed on a float64 input: the "
                       "gradient of your backward differs from the finite-difference estimate. "
                       "backward should return grad_output * 2 * x.")
