"""Hidden checks for exercises/05_modules/modules.py: Linear, MLP, Square."""
from __future__ import annotations

import pytest
import torch

from grader.checks.helpers import Feedback, assert_close, check_array, learner_call, randn, torch_generator
from grader.checks.probes import layer_facts, parameter_backward, set_parameters

# Oracles.
from torch.nn import Linear as _RefLinear
from torch.nn.functional import linear as _ref_linear
from torch.nn.functional import relu as _relu


LINEAR_SHAPES = [(1, 3, 5), (4, 5, 3), (7, 6, 6), (2, 1, 4)]   # (batch, in_features, out_features)
NOT_TRANSPOSED = "x @ weight without the transpose; the layer computes x @ weight.T + bias"


# --- what runs in the learner's process (grader/judge.py: sub.run) ------------------------------

def mlp_layers(model):
    """(is it an nn.Module, the kinds of its submodules in order (Linear = the learner's Linear,
    ReLU = nn.ReLU), handles to its Linear layers)."""
    if not isinstance(model, nn.Module):
        return False, [], []
    kinds, linears = [], []
    for m in model.modules():
        if isinstance(m, sub.Linear):
            kinds.append("Linear")
            linears.append(m)
        elif isinstance(m, nn.ReLU):
            kinds.append("ReLU")
    return True, kinds, linears


def train_xor(model, x, y, steps, lr):
    """Adam on binary cross-entropy, as the check prescribes; (predictions, last loss, parameter count)."""
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    loss = None
    for _ in range(steps):
        out = model(x)
        loss = F.binary_cross_entropy_with_logits(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        out = model(x)
    return [int(v > 0) for v in out.reshape(-1).tolist()], loss.item(), len(params)


def square_facts():
    """Whether Square is a torch.autograd.Function with a backward of its own."""
    cls = getattr(sub, "Square", None)
    return isinstance(cls, type) and issubclass(cls, torch.autograd.Function), \
        isinstance(cls, type) and "backward" in vars(cls)


def square_through(x, upstream):
    """square(x); whether its grad_fn is Square's own; x's gradient after y.backward(upstream)."""
    if upstream is not None:
        x = x.detach().clone().requires_grad_(True)
    y = sub.square(x)
    node = getattr(y, "grad_fn", None)
    own = isinstance(node, torch.autograd.function.BackwardCFunction) and \
        getattr(node, "_forward_cls", None) is sub.Square
    grad = None
    if upstream is not None and type(y) is torch.Tensor and y.requires_grad:
        y.backward(upstream)
        grad = x.grad
    return (y.detach() if type(y) is torch.Tensor else y), own, grad


def square_gradcheck(x):
    return torch.autograd.gradcheck(sub.square, (x.detach().clone().requires_grad_(True),), eps=1e-6,
                                    atol=1e-5, raise_exception=False)


# --- the judge's side ---------------------------------------------------------------------------

def _make_linear(sub, n_in: int, n_out: int):
    layer = sub.Linear(n_in, n_out)
    facts = sub.run(layer_facts, layer)
    if not facts["is_module"]:
        raise Feedback(f"Linear({n_in}, {n_out}) is not an nn.Module: subclass nn.Module and call "
                       "super().__init__() first.")
    return layer, facts


def _linear_params(facts, n_in: int, n_out: int):
    """The registered weight and bias, with the right shapes, or feedback saying what is wrong."""
    name = f"Linear({n_in}, {n_out})"
    params = facts["parameters"]
    for attr in ("weight", "bias"):
        if attr not in params:
            if attr in facts["plain"]:
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


def _set_params(sub, layer, facts, n_in: int, n_out: int, seed: int):
    """Give a learner's Linear known values (so the check does not depend on its initialisation)."""
    weight, bias = _linear_params(facts, n_in, n_out)
    k = 1.0 / n_in ** 0.5
    g = torch_generator(seed)
    weight = ((torch.rand(n_out, n_in, generator=g) * 2 - 1) * k).to(weight.dtype)
    bias = ((torch.rand(n_out, generator=g) * 2 - 1) * k).to(bias.dtype)
    sub.run(set_parameters, layer, {"weight": weight, "bias": bias})
    return weight, bias


# --- Linear ------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("n_in, n_out", [(3, 5), (4, 4), (1, 2)])
def test_linear_parameters_are_registered(sub, n_in, n_out):
    """Linear registers weight (out, in) and bias (out,) as nn.Parameters with a random start."""
    layer, facts = _make_linear(sub, n_in, n_out)
    weight, bias = _linear_params(facts, n_in, n_out)
    for name, p in (("weight", weight), ("bias", bias)):
        if not facts["is_parameter"][name]:
            raise Feedback(f"Linear({n_in}, {n_out}).{name} does not require grad: create it with "
                           "nn.Parameter(...) so autograd tracks it.")
        if not bool(torch.isfinite(p.detach()).all()):
            raise Feedback(f"Linear({n_in}, {n_out}).{name} contains nan or inf: torch.empty(...) "
                           "leaves memory uninitialised; fill it, e.g. with .uniform_(-k, k).")
    flat = weight.detach().reshape(-1)
    if flat.numel() > 1 and bool((flat == flat[0]).all()):
        raise Feedback(f"Every entry of Linear({n_in}, {n_out}).weight is {float(flat[0]):.4g}: "
                       "identical weights make every unit learn the same thing. Initialise them "
                       "randomly, e.g. uniform in [-1/sqrt(in_features), 1/sqrt(in_features)].")
    keys = facts["state_keys"]
    if keys != ["bias", "weight"]:
        raise Feedback(f"Linear's state_dict has the keys {keys}; expected ['bias', 'weight'].")


@pytest.mark.points(3)
@pytest.mark.parametrize("batch, n_in, n_out", LINEAR_SHAPES)
def test_linear_forward_matches_nn_linear(sub, batch, n_in, n_out):
    """Linear's state_dict loads into nn.Linear and both give the same output."""
    layer, facts = _make_linear(sub, n_in, n_out)
    weight, bias = _set_params(sub, layer, facts, n_in, n_out, seed=10 * n_in + n_out)
    reference = _RefLinear(n_in, n_out)
    state = layer.state_dict()  # its values, as plain tensors
    try:
        reference.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001 - the learner's state_dict does not fit nn.Linear
        raise Feedback(f"nn.Linear.load_state_dict(your state_dict) raised {type(exc).__name__}: {exc}\n"
                       "Likely mistake: weight must be (out_features, in_features) and bias (out_features,).") from None
    x = randn(batch, n_in, seed=batch + 100 * n_in)
    got = learner_call(lambda: layer(x.clone()), f"Linear({n_in}, {n_out})(x) with x of shape {tuple(x.shape)}",
                NOT_TRANSPOSED)
    check_array(got, f"Linear({n_in}, {n_out})(x)", shape=(batch, n_out), dtype="floating", kind="tensor")
    with torch.no_grad():
        want = reference(x)
        wrong = []
        if n_in == n_out:
            wrong.append((NOT_TRANSPOSED, x @ weight + bias))
        wrong.append(("the bias is missing", x @ weight.T))
    assert_close(got, want, f"Linear({n_in}, {n_out})(x)", rtol=1e-5, atol=1e-6, diagnose=wrong,
                 hint="y = x @ weight.T + bias")


def test_linear_worked_example(sub):
    """The worked example: weight [[1, 2], [3, 4], [5, 6]], bias [0, 0, 1], x [[1, 1]] -> [[3, 7, 12]]."""
    layer, facts = _make_linear(sub, 2, 3)
    weight, bias = _linear_params(facts, 2, 3)
    sub.run(set_parameters, layer, {"weight": torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).to(weight.dtype),
                                    "bias": torch.tensor([0.0, 0.0, 1.0]).to(bias.dtype)})
    got = learner_call(lambda: layer(torch.tensor([[1.0, 1.0]])), "Linear(2, 3)(x)", NOT_TRANSPOSED)
    check_array(got, "Linear(2, 3)(x)", shape=(1, 3), dtype="floating", kind="tensor")
    assert_close(got, torch.tensor([[3.0, 7.0, 12.0]]), "Linear(2, 3)([[1, 1]])", rtol=1e-6, atol=1e-6,
                 diagnose=[("the bias is missing", torch.tensor([[3.0, 7.0, 11.0]]))],
                 hint="y = x @ weight.T + bias")


@pytest.mark.points(2)
@pytest.mark.parametrize("batch, n_in, n_out", [(1, 3, 5), (6, 4, 2)])
def test_linear_gradients(sub, batch, n_in, n_out):
    """Gradients reach weight, bias and the input, equal to autograd through F.linear."""
    layer, facts = _make_linear(sub, n_in, n_out)
    weight, bias = _set_params(sub, layer, facts, n_in, n_out, seed=7 * n_in + n_out)
    w_ref = weight.detach().clone().requires_grad_(True)
    b_ref = bias.detach().clone().requires_grad_(True)
    x = randn(batch, n_in, seed=3 + batch)
    x_ref = x.detach().clone().requires_grad_(True)
    upstream = randn(batch, n_out, seed=5 + batch)
    out, records, grads, leaf_grads = learner_call(lambda: sub.run(parameter_backward, layer, [x], [0], upstream),
                                                   f"Linear({n_in}, {n_out})(x)", NOT_TRANSPOSED)
    check_array(out, f"Linear({n_in}, {n_out})(x)", shape=(batch, n_out), dtype="floating", kind="tensor")
    if not records:
        raise Feedback("Linear's output has no grad_fn: autograd recorded nothing. Do not use "
                       "torch.no_grad(), .detach() or .data in forward.")
    (_ref_linear(x_ref, w_ref, b_ref) * upstream).sum().backward()
    for name, grad, ref in (("weight", grads.get("weight"), w_ref), ("bias", grads.get("bias"), b_ref),
                            ("the input x", leaf_grads[0], x_ref)):
        if grad is None:
            raise Feedback(f"After backward(), {name} has no gradient: it is not connected to the output.")
        assert_close(grad, ref.grad, f"the gradient of {name}", rtol=1e-5, atol=1e-6)


# --- MLP ---------------------------------------------------------------------------------------

def _mlp_linears(sub, model, sizes: list[int]):
    """The learner's Linear layers in registration order, with the right shapes: [(handle, facts)]."""
    is_module, kinds, linears = sub.run(mlp_layers, model)
    if not is_module:
        raise Feedback("MLP(sizes) is not an nn.Module.")
    if len(linears) != len(sizes) - 1:
        raise Feedback(f"MLP({sizes}) contains {len(linears)} Linear layers, expected {len(sizes) - 1} "
                       "(one per consecutive pair of sizes). Register them as attributes, in an "
                       "nn.Sequential or an nn.ModuleList (a plain Python list is not registered).")
    found = []
    for i, layer in enumerate(linears):
        facts = sub.run(layer_facts, layer)
        _linear_params(facts, sizes[i], sizes[i + 1])
        found.append((layer, facts))
    return found, kinds


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
    _, names = _mlp_linears(sub, model, sizes)
    if "ReLU" in names:  # ReLU modules (F.relu / torch.relu in forward is fine too: test_mlp_forward checks it)
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
    linears, _ = _mlp_linears(sub, model, sizes)
    params = [_set_params(sub, layer, facts, sizes[i], sizes[i + 1], seed=31 * i + len(sizes))
              for i, (layer, facts) in enumerate(linears)]
    x = randn(batch, sizes[0], seed=11 * batch + sizes[0]) * 2
    got = learner_call(lambda: model(x.clone()), f"MLP({sizes})(x)", MLP_CALL_HINT)
    check_array(got, f"MLP({sizes})(x)", shape=(batch, sizes[-1]), dtype="floating", kind="tensor")
    with torch.no_grad():
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
    linears, _ = _mlp_linears(sub, model, sizes)
    for i, (layer, facts) in enumerate(linears):
        _set_params(sub, layer, facts, sizes[i], sizes[i + 1], seed=1000 + i)
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    predictions, loss, count = learner_call(lambda: sub.run(train_xor, model, x, y, 150, 0.05),
                                            f"MLP({sizes})(x)", MLP_CALL_HINT)
    if count != 2 * (len(sizes) - 1):
        raise Feedback(f"MLP({sizes}).parameters() yields {count} tensors, expected "
                       f"{2 * (len(sizes) - 1)} (a weight and a bias per Linear).")
    if predictions != [0, 1, 1, 0] or loss > 0.05:
        raise Feedback(f"After 150 Adam steps the MLP predicts {predictions} for XOR (expected "
                       f"[0, 1, 1, 0]) with a loss of {loss:.4g}. Check that every Linear's "
                       "parameters are registered, that a ReLU follows each hidden layer, and that "
                       "the last layer has no ReLU.")


# --- Square ------------------------------------------------------------------------------------

def _check_square_function(sub):
    is_function, own_backward = sub.run(square_facts)
    if not is_function:
        raise Feedback("Square should be a subclass of torch.autograd.Function.")
    if not own_backward:
        raise Feedback("Square does not define its own backward: write a @staticmethod "
                       "backward(ctx, grad_output) that returns grad_output * 2 * x.")


def _square_output(sub, x, upstream=None):
    """square(x) and, with `upstream`, x's gradient after y.backward(upstream)."""
    _check_square_function(sub)
    y, own, grad = learner_call(lambda: sub.run(square_through, x, upstream), "square(x)",
                                "forward should return x * x")
    check_array(y, "square(x)", shape=tuple(x.shape), dtype=x.dtype, kind="tensor")
    if upstream is not None and not own:
        raise Feedback("square(x) did not go through Square: its backward is autograd's, not yours. "
                       "square should return Square.apply(x), and Square.forward should compute "
                       "the result directly.")
    return y, grad


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", [(1,), (3,), (4, 5), (2, 3, 4)], ids=lambda s: "x".join(map(str, s)))
def test_square_forward(sub, shape):
    """square(x) == x**2 (shape and dtype kept)."""
    x = randn(*shape, seed=len(shape) * 17 + shape[0])
    y, _ = _square_output(sub, x.clone())
    assert_close(y, x * x, "square(x)", rtol=1e-6, atol=1e-7, diagnose=[("returned 2 * x, the derivative", 2 * x)])


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4)], ids=lambda s: "x".join(map(str, s)))
def test_square_backward(sub, shape):
    """Square's hand-written backward returns grad_output * 2 * x."""
    x = randn(*shape, seed=41 + shape[0])
    upstream = randn(*shape, seed=43 + shape[0]) * 3
    _, grad = _square_output(sub, x, upstream)
    if grad is None:
        raise Feedback("After backward(), x has no gradient: Square.backward must return the gradient "
                       "for x.")
    xd = x.detach()
    check_array(grad, "the gradient of x", shape=tuple(x.shape), kind="tensor")
    assert_close(grad, upstream * 2 * xd, "the gradient of x through Square", rtol=1e-5, atol=1e-6,
                 diagnose=[("the factor 2 is missing: d(x**2)/dx = 2x", upstream * xd),
                           ("the incoming grad_output is ignored; by the chain rule dL/dx = grad_output * 2x",
                            2 * xd),
                           ("returned grad_output * x**2 instead of grad_output * 2x", upstream * xd * xd)],
                 hint="backward returns grad_output * 2 * x, with x saved in forward")


@pytest.mark.points(2)
def test_square_gradcheck(sub):
    """Square passes torch.autograd.gradcheck in float64."""
    x = randn(3, 4, seed=99, dtype=torch.float64)
    _square_output(sub, x, randn(3, 4, seed=98, dtype=torch.float64))
    ok = learner_call(lambda: sub.run(square_gradcheck, x),
               "torch.autograd.gradcheck(square, (x,))", "backward should return grad_output * 2 * x")
    if not ok:
        raise Feedback("torch.autograd.gradcheck(square, (x,)) failed on a float64 input: the "
                       "gradient of your backward differs from the finite-difference estimate. "
                       "backward should return grad_output * 2 * x.")
