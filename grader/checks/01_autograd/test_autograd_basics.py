"""Hidden checks for autograd_basics: derivative, gradient, predict_without_history."""
import math

import pytest
import torch
from torch import nn

from grader.checks.helpers import Feedback, assert_close, check_float, randn
from grader.judge import code


# Analytic derivatives are the oracle: the learner did not write them.
def quadratic(t):
    return t**2 + 3 * t + 4


def sin_times(t):
    return torch.sin(t) * t


def gaussian(t):
    return torch.exp(-t**2)


def cubic_third(t):
    return t**3 / 3


def cubic(t):
    return t**3


def product(a, b):
    return a * b


def three_inputs(x, y, z):
    return x * y + z**2


def weighted_squares(*ts):
    return sum((i + 1) * t**2 for i, t in enumerate(ts))


# The functions the learner's code differentiates run in its process (grader.judge.code), so
# autograd can follow them there; the judge evaluates the same functions itself for diagnoses.
FUNCTIONS = [
    ("t**2 + 3t + 4", quadratic, lambda x: 2 * x + 3, 2.0),
    ("sin(t) * t", sin_times, lambda x: math.cos(x) * x + math.sin(x), 0.7),
    ("exp(-t**2)", gaussian, lambda x: -2 * x * math.exp(-x * x), -1.3),
    ("t**3 / 3", cubic_third, lambda x: x * x, -3.0),
]


@pytest.mark.points(2)
def test_derivative_worked_example(sub):
    """derivative(t**2 + 3t + 4, 2.0) is 7.0"""
    got = check_float(sub.derivative(code(quadratic), 2.0), "derivative(t**2 + 3t + 4, 2.0)")
    assert_close(got, _DERIVATIVES[FUNCTIONS[0][0]](2.0), "derivative(t**2 + 3t + 4, 2.0)", rtol=1e-6,
                 diagnose=[("returned f(x) instead of f'(x)", 14.0),
                           ("returned x.grad of a non-leaf or the input itself", 2.0)])


_DERIVATIVES = {label: df for label, _, df, _ in FUNCTIONS}


@pytest.mark.parametrize("label, f, x", [(label, f, x) for label, f, _, x in FUNCTIONS],
                         ids=[f[0] for f in FUNCTIONS])
def test_derivative(sub, label, f, x):
    """derivative of several functions at several points"""
    name = f"derivative({label}, {x})"
    got = check_float(sub.derivative(code(f), x), name)
    assert_close(got, _DERIVATIVES[label](x), name, rtol=1e-5, atol=1e-7,
                 diagnose=[("returned f(x) instead of f'(x)", f(torch.tensor(x, dtype=torch.float64)).item())],
                 hint="make x a float tensor with requires_grad=True, call backward() on f(x), read x.grad")


def spied(fn_name, f, point):
    """In the learner's process: call sub.<fn_name>(spy, *point), where the spy records, for each
    call, whether each input records history. Returns those records."""
    calls = []

    def spy(*ts):
        calls.append([isinstance(t, torch.Tensor) and t.requires_grad for t in ts])
        return f(*ts)
    getattr(sub, fn_name)(spy, *point)
    return calls


def test_derivative_uses_autograd(sub):
    """derivative and gradient call f on tensors that record history (autograd, not finite differences)"""
    for name, f, point in [("derivative", cubic, (1.5,)), ("gradient", product, (2.0, 3.0))]:
        calls = sub.run(spied, name, code(f), list(point))
        if not calls:
            raise Feedback(f"{name} never called f.")
        if not any(all(flags) for flags in calls):
            raise Feedback(f"{name} called f on inputs that do not record history, {len(calls)} time(s)."
                           " Likely mistake: finite differences (f(x + h) - f(x - h)) / 2h instead of"
                           " autograd; make each input a tensor with requires_grad=True and call backward().")


@pytest.mark.points(2)
def test_gradient_of_several_inputs(sub):
    """gradient(x*y + z**2, 1, 2, 3) is [2, 1, 6]"""
    name = "gradient(x*y + z**2, 1.0, 2.0, 3.0)"
    got = sub.gradient(code(three_inputs), 1.0, 2.0, 3.0)
    _check_list(got, 3, name)
    assert_close(got, [2.0, 1.0, 6.0], name, rtol=1e-6,
                 diagnose=[("the inputs' order is reversed", [6.0, 1.0, 2.0])])


@pytest.mark.parametrize("n", [1, 2, 5])
def test_gradient_any_number_of_inputs(sub, n):
    """gradient of sum(i * x_i**2) for 1, 2 and 5 inputs"""
    xs = [0.5 * (i + 1) - 1.0 for i in range(n)]
    name = f"gradient(sum(i * x_i**2), {n} inputs)"
    got = sub.gradient(code(weighted_squares), *xs)
    _check_list(got, n, name)
    assert_close(got, [2 * (i + 1) * x for i, x in enumerate(xs)], name, rtol=1e-6)


def _check_list(got, n, name):
    if not isinstance(got, (list, tuple)):
        raise Feedback(f"{name} should return a list of {n} floats, got {type(got).__name__}.")
    if len(got) != n:
        raise Feedback(f"{name} returned {len(got)} values, expected {n} (one per input).")
    for i, value in enumerate(got):
        check_float(value, f"{name}[{i}]")


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)


def _model_and_input(training: bool, seed: int):
    torch.manual_seed(seed)
    model = _Net()
    model.train(training)
    return model, randn(3, 4, seed=seed)


def predicted(state, training, x):
    """In the learner's process: the check's network with these weights, handed to
    predict_without_history. Returns (its result, what became of the model and of grad mode)."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))

        def forward(self, x):
            return self.body(x)
    model = Net()
    model.load_state_dict(state)
    model.train(training)
    grad_mode = []  # whether autograd was recording while the model ran
    model.register_forward_hook(lambda module, inputs, output: grad_mode.append(torch.is_grad_enabled()))
    out = sub.predict_without_history(model, x)
    is_tensor = type(out) is torch.Tensor
    facts = {"type": type(out).__name__, "requires_grad": is_tensor and out.requires_grad,
             "grad_fn": type(out.grad_fn).__name__ if is_tensor and out.grad_fn is not None else None,
             "grad_mode": grad_mode, "training": model.training,
             "params_require_grad": all(p.requires_grad for p in model.parameters()),
             "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
             "grad_enabled": torch.is_grad_enabled()}
    return (out.detach() if is_tensor else None), facts


@pytest.mark.points(2)
def test_predict_records_no_history(sub):
    """model(x) runs with autograd off: the prediction has requires_grad False and no grad_fn"""
    model, x = _model_and_input(False, 1)
    out, facts = sub.run(predicted, model.state_dict(), False, x)
    if out is None:
        raise Feedback(f"predict_without_history returned {facts['type']}; return model(x)'s tensor.")
    if facts["requires_grad"] or facts["grad_fn"] is not None:
        raise Feedback("predict_without_history returned a tensor that records history"
                       f" (requires_grad={facts['requires_grad']}, grad_fn={facts['grad_fn']})."
                       " Likely mistake: the call is not inside `with torch.no_grad():`.")
    if any(facts["grad_mode"]):
        raise Feedback("predict_without_history ran model(x) with autograd recording and only cut the"
                       " history off afterwards, so the whole graph was built (and its memory spent) for"
                       " nothing. Likely mistake: .detach() on the result instead of calling the model"
                       " inside `with torch.no_grad():`.")
    with torch.no_grad():
        assert_close(out, model(x), "predict_without_history(model, x)", rtol=1e-6,
                     hint="return model(x) itself, computed without history")


@pytest.mark.points(2)
@pytest.mark.parametrize("training", [True, False], ids=["train-mode", "eval-mode"])
def test_predict_leaves_model_alone(sub, training):
    """the model's mode, parameters and their requires_grad are left as they were"""
    model, x = _model_and_input(training, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    _, facts = sub.run(predicted, model.state_dict(), training, x)
    if facts["training"] != training:
        raise Feedback(f"predict_without_history switched the model to {'train' if facts['training'] else 'eval'}"
                       " mode. Likely mistake: calling model.eval() (or model.train()); no_grad alone is enough"
                       " and the caller decides the mode.")
    if not facts["params_require_grad"]:
        raise Feedback("predict_without_history turned off requires_grad on the model's parameters."
                       " Use torch.no_grad() instead of changing the parameters.")
    for key, value in facts["state"].items():
        if key not in before or not torch.equal(value, before[key]):
            raise Feedback(f"predict_without_history changed the model's parameter '{key}'.")
    if not facts["grad_enabled"]:
        raise Feedback("predict_without_history left gradient recording switched off for the caller."
                       " Use `with torch.no_grad():` so it is restored afterwards.")
