"""Hidden checks for exercises/01_autograd/linear_regression_autograd.py.

The oracle is the exact gradient-descent trajectory of the mean squared error, computed here in
float64 NumPy from the same w0, b0 (dL/dw = mean(2·r·x), dL/db = mean(2·r), r = w·x + b - y).
Every epoch's loss is compared, so a gradient that accumulates because it was not zeroed, a loss
recorded after the update, or a step of the wrong sign shows up in the first few epochs. Known
mistakes are replayed by the same oracle, so the message can name them.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, describe, is_tensor,
                                   record_curve, rng)


PREFIX = 8  # the first epochs, where every known mistake already shows and nothing overflows


# --- the oracle ---------------------------------------------------------------------------------

def _trajectory(x, y, w0, b0, lr, epochs, *, accumulate=(), after=False, loss_sum=False,
                sign=1.0, lr_used=None):
    """Gradient descent on mean((w·x + b - y)²) in float64; options replay known mistakes."""
    lr = lr if lr_used is None else lr_used
    n = 1.0 if loss_sum else float(x.size)
    w, b = float(w0), float(b0)
    acc_w = acc_b = 0.0
    losses = []

    def loss_at(w, b):
        r = w * x + b - y
        return float((r * r).sum()) / n

    for _ in range(epochs):
        r = w * x + b - y
        loss = loss_at(w, b)
        gw = float((2.0 * r * x).sum()) / n
        gb = float((2.0 * r).sum()) / n
        if "w" in accumulate:
            acc_w += gw
            gw = acc_w
        if "b" in accumulate:
            acc_b += gb
            gb = acc_b
        w -= sign * lr * gw
        b -= sign * lr * gb
        losses.append(loss_at(w, b) if after else loss)
    return w, b, losses


MISTAKES = [
    ("the gradients were not zeroed after the update, so .grad accumulates the sum of every "
     "epoch's gradient (call w.grad.zero_() and b.grad.zero_() under torch.no_grad())",
     {"accumulate": ("w", "b")}),
    ("only w.grad was zeroed: b.grad accumulates across epochs", {"accumulate": ("b",)}),
    ("only b.grad was zeroed: w.grad accumulates across epochs", {"accumulate": ("w",)}),
    ("the loss was recorded after the update; record loss.item() before stepping",
     {"after": True}),
    ("the loss is the sum of the squared errors instead of their mean", {"loss_sum": True}),
    ("the update has the wrong sign: step against the gradient, w -= lr * w.grad",
     {"sign": -1.0}),
]


# --- data ---------------------------------------------------------------------------------------

def _make_dataset(n, seed):
    g = rng(seed)
    x = g.standard_normal(n) * 1.2 + 0.4
    y = g.uniform(-2.0, 2.0) * x + g.uniform(-1.0, 1.0) + 0.1 * g.standard_normal(n)
    # rounded to float32, the precision of the tensors the submission receives
    return x.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64)


_DATA = {(n, seed): _make_dataset(n, seed) for n, seed in [(5, 21), (6, 22), (8, 23), (1, 11),
                                                              (5, 12), (32, 13)]}


def _dataset(n, seed):
    """Made at import; copies, so that no check changes another's."""
    x, y = _DATA[(n, seed)]
    return x.copy(), y.copy()


def _tensors(x, y):
    X = torch.tensor(x.reshape(-1, 1), dtype=torch.float32)
    Y = torch.tensor(y.reshape(-1, 1), dtype=torch.float32)
    return X, Y


WORKED_X = np.array([1.0, 2.0, 3.0, 4.0])
WORKED_Y = np.array([3.0, 5.0, 7.0, 9.0])

# (name, n, seed, w0, b0, lr, epochs) — batch of one included.
DATASETS = [
    ("one point", 1, 11, 0.3, -0.2, 0.05, 30),
    ("five points", 5, 12, -0.5, 0.8, 0.05, 40),
    ("32 points", 32, 13, 1.5, -1.0, 0.02, 40),
]


# --- calling the submission ---------------------------------------------------------------------

def _run(sub, X, Y, w0, b0, lr, epochs):
    """fit(...), with the errors that known mistakes raise turned into feedback."""
    try:
        return sub.fit(X, Y, w0, b0, lr=lr, epochs=epochs)
    except NotImplementedError:
        raise
    except RuntimeError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if "leaf Variable" in text or "in-place operation" in text:
            raise Feedback(
                f"fit raised RuntimeError: {text}\nLikely mistake: the in-place update ran outside "
                "torch.no_grad(). Wrap `w -= lr * w.grad` and `b -= lr * b.grad` in "
                "`with torch.no_grad():` so the update itself is not recorded.") from None
        if "does not require grad" in text:
            raise Feedback(
                f"fit raised RuntimeError: {text}\nLikely mistake: the loss does not depend on a "
                "tensor that requires grad. Create w and b with requires_grad=True, and update "
                "them in place (w -= lr * w.grad) so they stay the leaves that backward() "
                "fills.") from None
        raise
    except (TypeError, AttributeError) as exc:
        if "NoneType" in str(exc):
            raise Feedback(
                f"fit raised {type(exc).__name__}: {exc}\nLikely mistake: a .grad is None. w and "
                "b must be leaf tensors created with requires_grad=True and updated in place "
                "(w -= lr * w.grad under torch.no_grad()); replacing the tensor "
                "(w = w - lr * w.grad) makes a new tensor that backward() does not fill.") from None
        raise


def _number(value, name):
    """A Python number (nan and inf allowed here: the comparison reports them)."""
    if is_tensor(value):
        raise Feedback(f"{name} is {describe(value)}; return Python floats, e.g. with .item().")
    if isinstance(value, np.ndarray) and value.size != 1:
        raise Feedback(f"{name} is {describe(value)}; expected a single number.")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.generic, np.ndarray)):
        raise Feedback(f"{name} is {describe(value)}; expected a Python float.")
    return float(value)


def _unpack(result, epochs):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise Feedback(f"fit should return a tuple (w, b, losses), got {describe(result)}.")
    w = _number(result[0], "the returned w")
    b = _number(result[1], "the returned b")
    losses = result[2]
    if not isinstance(losses, (list, tuple)):
        raise Feedback(f"the returned losses should be a list of floats, got {describe(losses)}.")
    if len(losses) != epochs:
        extra = ""
        if len(losses) == epochs + 1:
            extra = " Is the loss recorded once more after the loop?"
        elif len(losses) == 0:
            extra = " Append loss.item() to the list in every epoch."
        raise Feedback(f"the returned losses have {len(losses)} entries for epochs={epochs}; "
                       f"expected one per epoch.{extra}")
    values = []
    for i, item in enumerate(losses):
        if is_tensor(item):
            raise Feedback(f"losses[{i}] is {describe(item)}; append loss.item(), a Python float "
                           "(a tensor in the list also keeps its whole graph alive).")
        values.append(_number(item, f"losses[{i}]"))
    return w, b, np.array(values, dtype=np.float64)


def _compare(got, x, y, w0, b0, lr, epochs, *, label, mistakes=MISTAKES, curve=False):
    w, b, losses = got
    want_w, want_b, want = _trajectory(x, y, w0, b0, lr, epochs)
    if curve:  # for the report, before any verdict: a wrong curve is the one worth seeing
        record_curve("yours", losses)
        record_curve("reference", want)
    wrong = [(m, _trajectory(x, y, w0, b0, lr, epochs, **opts)) for m, opts in mistakes]
    k = min(PREFIX, epochs)
    assert_close(losses[:k], np.array(want[:k]), f"{label}: the losses of the first {k} epochs",
                 rtol=1e-3, atol=1e-5,
                 diagnose=[(m, np.array(t[2][:k])) for m, t in wrong])
    assert_close(losses, np.array(want), f"{label}: the loss of every epoch", rtol=1e-3, atol=1e-5,
                 hint="the first epochs are right but later ones drift: is every epoch's update "
                      "w -= lr * w.grad with the gradients zeroed afterwards?")
    assert_close(w, want_w, f"{label}: the final w", rtol=1e-3, atol=1e-5,
                 diagnose=[(m, t[0]) for m, t in wrong if math.isfinite(t[0])],
                 hint="return w.item() after the last epoch")
    assert_close(b, want_b, f"{label}: the final b", rtol=1e-3, atol=1e-5,
                 diagnose=[(m, t[1]) for m, t in wrong if math.isfinite(t[1])],
                 hint="return b.item() after the last epoch")


# --- checks -------------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_returns_w_b_and_one_loss_per_epoch(sub):
    """fit returns (w, b, losses): two floats and one float per epoch."""
    x, y = _dataset(5, 21)
    X, Y = _tensors(x, y)
    _unpack(_run(sub, X, Y, 0.5, -0.5, 0.05, 7), 7)


@pytest.mark.points(1)
def test_first_loss_is_measured_before_the_update(sub):
    """losses[0] is the mean squared error at the starting point w0, b0."""
    x, y = _dataset(6, 22)
    X, Y = _tensors(x, y)
    w0, b0, lr = 0.7, 0.2, 0.05
    _, _, losses = _unpack(_run(sub, X, Y, w0, b0, lr, 3), 3)
    want = _trajectory(x, y, w0, b0, lr, 1)[2][0]
    assert_close(losses[0], want, "losses[0] (the loss at w0, b0)", rtol=1e-4, atol=1e-6,
                 diagnose=[(m, _trajectory(x, y, w0, b0, lr, 1, **opts)[2][0])
                           for m, opts in MISTAKES if "accumulate" not in opts],
                 hint="the first loss is mean((w0 * X + b0 - Y) ** 2), before any update")


@pytest.mark.points(2)
def test_gradients_are_zeroed_every_epoch(sub):
    """Each epoch steps along that epoch's gradient only (the gradients are zeroed)."""
    x, y = _dataset(8, 23)
    X, Y = _tensors(x, y)
    w0, b0, lr, epochs = -0.3, 0.4, 0.05, 6
    got = _unpack(_run(sub, X, Y, w0, b0, lr, epochs), epochs)
    _compare(got, x, y, w0, b0, lr, epochs, label="6 epochs on 8 points")


@pytest.mark.points(1)
@pytest.mark.parametrize("name, n, seed, w0, b0, lr, epochs", DATASETS, ids=[d[0] for d in DATASETS])
def test_trajectory_matches_gradient_descent(sub, name, n, seed, w0, b0, lr, epochs):
    """Every epoch's loss and the final w, b match exact gradient descent on seeded data."""
    x, y = _dataset(n, seed)
    X, Y = _tensors(x, y)
    X_before, Y_before = X.clone(), Y.clone()
    got = _unpack(_run(sub, X, Y, w0, b0, lr, epochs), epochs)
    assert_unchanged(X_before, X, "X", mistake="the data were changed in place")
    assert_unchanged(Y_before, Y, "Y", mistake="the data were changed in place")
    mistakes = MISTAKES + [("lr was ignored (0.01 was used instead of the lr argument)",
                            {"lr_used": 0.01})]
    _compare(got, x, y, w0, b0, lr, epochs, mistakes=mistakes,
             label=f"{name} (w0={w0}, b0={b0}, lr={lr}, epochs={epochs})")


@pytest.mark.points(2)
def test_worked_example(sub):
    """X = [[1],[2],[3],[4]], Y = 2X + 1, from w = b = 0 with lr 0.01 for 1000 epochs: w ≈ 2, b ≈ 1."""
    X, Y = _tensors(WORKED_X, WORKED_Y)
    got = _unpack(_run(sub, X, Y, 0.0, 0.0, 0.01, 1000), 1000)
    _compare(got, WORKED_X, WORKED_Y, 0.0, 0.0, 0.01, 1000, label="the worked example", curve=True)
