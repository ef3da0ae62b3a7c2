"""Hidden checks for `chain_rule`: backpropagation through the one-hidden-layer network.

Oracles: torch autograd in float64 on the same weights, float64 central finite differences
written in this module, the worked setup of docs/curriculum.md, and, for `train`, gradient descent
with forward-difference gradients (the path `update_weights.train` takes) computed here.
"""
import time as _time

import numpy as np
import pytest
import torch

from grader.checks.helpers import (Feedback, assert_close, check_array, check_float,
                                   record_curve)
from grader.checks.isolate import on_reference, swapped
from grader.judge import LearnerError
from grader.checks.network import (
    LABELS, WORKED_X, WORKED_Y, WORKED_W, make_problem, copies, as64, exact, loss64, tensor64,
    check_arguments_unchanged, train_result, check_loss_count, check_final_weights, check_loss_falls,
)

_perf_counter = _time.perf_counter


# (d_in, h, d_out, N): batch of 1 included, N equal to h or d_out in two of them (so that a
# bias gradient summed over the wrong axis has the right shape and is judged by its values).
SHAPES = [(2, 3, 1, 1), (3, 4, 2, 1), (4, 5, 3, 5), (1, 2, 2, 2), (5, 8, 4, 16), (3, 6, 1, 9)]
TOL32 = dict(rtol=1e-4, atol=1e-6)
TOL64 = dict(rtol=1e-6, atol=1e-9)

# The speed check: a network of this size must be fast (a per-weight loop takes many seconds).
SPEED_SHAPE = (32, 256, 4, 512)    # d_in, h, d_out, N
SPEED_LIMIT_S = 1.0   # generous: the vectorised backprop takes a few ms, a per-weight loop minutes
SPEED_ABORT_S = 1.2   # well under the per-check limit (3 s): the check says why, even on a busy machine


def central_differences(x, y, weights, eps=1e-6):
    """Every gradient by (loss(w + eps) - loss(w - eps)) / (2 eps), float64."""
    with torch.no_grad():
        x, y = tensor64(x), tensor64(y)
        ws = [tensor64(w) for w in weights]
        grads = []
        for w in ws:
            flat, grad = w.view(-1), torch.zeros(w.numel(), dtype=torch.float64)
            for k in range(flat.numel()):
                old = float(flat[k])
                flat[k] = old + eps
                plus = float(loss64(x, y, ws))
                flat[k] = old - eps
                minus = float(loss64(x, y, ws))
                flat[k] = old
                grad[k] = (plus - minus) / (2 * eps)
            grads.append(grad.view(w.shape).numpy())
        return grads


def forward_difference_path(x, y, weights, lr, epochs, eps=1e-4):
    """update_weights.train's path: forward-difference gradients at the original weights, float64."""
    with torch.no_grad():
        x, y = tensor64(x), tensor64(y)
        ws, losses = [tensor64(w) for w in weights], []
        for _ in range(epochs):
            base = float(loss64(x, y, ws))
            losses.append(base)
            new = [w.clone() for w in ws]
            for w, n in zip(ws, new):
                flat = w.view(-1)
                for k in range(flat.numel()):
                    old = float(flat[k])
                    flat[k] = old + eps
                    plus = float(loss64(x, y, ws))
                    flat[k] = old
                    n.view(-1)[k] = old - lr * (plus - base) / eps
            ws = new
        return [w.numpy() for w in ws], losses, float(loss64(x, y, ws))


def wrong_gradients(x, y, weights):
    """What the classic mistakes produce, per array: {label: [(mistake, wrong gradient), ...]}."""
    x, y = as64([x, y])
    W_h, b_h, W_o, b_o = as64(weights)
    z = x @ W_h + b_h
    hidden = 1.0 / (1.0 + np.exp(-z))
    prediction = hidden @ W_o + b_o
    n, d_out = prediction.shape

    def backward(d_pred, act_deriv):
        d_z = (d_pred @ W_o.T) * act_deriv
        return [x.T @ d_z, d_z.sum(axis=0), hidden.T @ d_pred, d_pred.sum(axis=0)], d_z

    right = 2.0 * (prediction - y) / prediction.size
    sig = hidden * (1.0 - hidden)
    out = {label: [] for label in LABELS}

    def add(mistake, grads, labels=LABELS):
        for label, g in zip(LABELS, grads):
            if label in labels:
                out[label].append((mistake, g))

    add("took the sigmoid's derivative on the pre-activation z as if it were the activation; "
        "sigmoid'(z) = hidden * (1 - hidden), with hidden = sigmoid(z)",
        backward(right, z * (1.0 - z))[0], ["W_h", "b_h"])
    add("forgot the sigmoid's derivative: d z = d hidden * hidden * (1 - hidden)",
        backward(right, 1.0)[0], ["W_h", "b_h"])
    add("forgot the 2/N of the mean: d prediction = 2 * (prediction - outputs) / (N * d_out)",
        backward(right * prediction.size / 2.0, sig)[0])
    add("forgot the 1/N of the mean: divide by the number of entries, N * d_out",
        backward(right * prediction.size, sig)[0])
    add("divided by N only; the mean is over all N * d_out entries, so divide by N * d_out",
        backward(right * d_out, sig)[0])
    add("forgot the factor 2 from the derivative of the square", backward(right / 2.0, sig)[0])
    add("a sign error: d prediction = 2 * (prediction - outputs) / (N * d_out), not "
        "(outputs - prediction)", backward(-right, sig)[0])
    grads, d_z = backward(right, sig)
    add("averaged the bias gradient over the batch; sum it over axis 0 (the 1/N is already in "
        "d prediction)", [None, d_z.mean(axis=0), None, right.mean(axis=0)], ["b_h", "b_o"])
    add("summed the bias gradient over the wrong axis: sum over the batch axis 0",
        [None, d_z.sum(axis=1), None, right.sum(axis=1)], ["b_h", "b_o"])
    return out


# --- judging backprop's result -------------------------------------------------------------------

def backprop_result(result, x, weights, name):
    """backprop's (gradients, loss): 4 float arrays with the weights' shapes, and the loss."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"{name} should return a tuple (gradients, loss), got "
                       f"{type(result).__name__} {str(result)[:60]}.")
    grads, loss = result
    if not isinstance(grads, (list, tuple)) or len(grads) != 4:
        raise Feedback(f"{name}: gradients should be a list of 4 arrays [dW_h, db_h, dW_o, db_o], "
                       f"got {type(grads).__name__}"
                       f"{' of length ' + str(len(grads)) if hasattr(grads, '__len__') else ''}.")
    n = x.shape[0]
    for label, got, w in zip(LABELS, grads, weights):
        gname = f"{name}: the gradient of {label}"
        if isinstance(got, np.ndarray) and label.startswith("b") and got.shape != w.shape:
            if got.shape == (n,):
                raise Feedback(f"{gname} has shape {got.shape}, expected {w.shape}. Likely mistake: "
                               "summed the bias gradient over the wrong axis: sum over the batch "
                               "axis 0.")
            if got.shape == (1,) + w.shape:
                raise Feedback(f"{gname} has shape {got.shape}, expected {w.shape}: drop the batch "
                               "axis (no keepdims=True): a gradient has its parameter's shape.")
            if got.shape == (n,) + w.shape:
                raise Feedback(f"{gname} has shape {got.shape}, expected {w.shape}. Likely mistake: "
                               "forgot to sum the bias gradient over the batch axis 0.")
        check_array(got, gname, shape=w.shape, dtype="floating")
    return grads, loss


def check_backprop(result, x, y, weights, name, tol, *, name_mistakes=True):
    grads, loss = backprop_result(result, x, weights, name)
    ref_loss, ref = exact(x, y, weights)
    # Naming mistakes costs nine extra backward passes: skipped on the big speed-check network
    # (the small networks of the other checks name them).
    wrong = wrong_gradients(x, y, weights) if name_mistakes else {label: [] for label in LABELS}
    for label, got, want in zip(LABELS, grads, ref):
        assert_close(got, want, f"{name}: the gradient of {label}", **tol, diagnose=wrong[label],
                     hint="apply the rules of the module docstring from the loss backwards: the "
                          "mean, the output layer, the sigmoid, the hidden layer.")
    loss = check_float(loss, f"{name}: the returned loss")
    assert_close(loss, ref_loss, f"{name}: the returned loss", **tol,
                 hint="return the loss at the weights passed in, mean((prediction - outputs) ** 2).")
    return grads


@pytest.mark.points(2)
def test_backprop_worked_example(sub):
    """backprop on the worked setup (float32): loss 0.3346 and d b_o = -1.1568."""
    x, y, weights = copies(WORKED_X, WORKED_Y, WORKED_W)
    check_backprop(sub.backprop(x, y, weights), WORKED_X, WORKED_Y, WORKED_W,
                   "backprop(worked setup)", TOL32)


@pytest.mark.points(3)
@pytest.mark.parametrize("d_in, h, d_out, n", SHAPES)
def test_backprop_random_shapes(sub, d_in, h, d_out, n):
    """backprop on seeded random networks (float64): exact gradients to about 1e-6 relative."""
    x, y, weights = make_problem(d_in, h, d_out, n, seed=60 + 5 * d_in + 3 * h + n)
    check_backprop(sub.backprop(*copies(x, y, weights)), x, y, weights,
                   f"backprop(d_in={d_in}, h={h}, d_out={d_out}, N={n})", TOL64)


@pytest.mark.points(1)
def test_backprop_matches_finite_differences(sub):
    """backprop agrees with float64 central finite differences on a small random network."""
    x, y, weights = make_problem(3, 4, 2, 6, seed=71)
    name = "backprop(d_in=3, h=4, d_out=2, N=6)"
    grads, _ = backprop_result(sub.backprop(*copies(x, y, weights)), x, weights, name)
    numeric = central_differences(x, y, weights)
    for label, got, want in zip(LABELS, grads, numeric):
        assert_close(got, want, f"{name}: the gradient of {label} against central differences",
                     rtol=1e-5, atol=1e-8,
                     hint="each gradient entry should equal (loss(w + eps) - loss(w - eps)) / (2 eps) "
                          "for a tiny eps.")


@pytest.mark.timed
@pytest.mark.points(2)
def test_backprop_is_fast(sub):
    """backprop with h = 256 and N = 512 takes milliseconds (vectorised, no finite differences)."""
    d_in, h, d_out, n = SPEED_SHAPE
    x, y, weights = make_problem(d_in, h, d_out, n, seed=81)
    name = f"backprop(d_in={d_in}, h={h}, d_out={d_out}, N={n})"
    slow = (f"it should take milliseconds. Likely mistake: finite differences (or a loop over the "
            f"{d_in * h + h + h * d_out + d_out} weights) instead of backprop: a forward pass per "
            "weight is far too slow. Use the chain rule with matrix products over the whole batch.")

    best = None
    for _ in range(3):
        args = copies(x, y, weights)
        try:
            with sub.within(SPEED_ABORT_S):
                start = _perf_counter()
                result = sub.backprop(*args)
                elapsed = _perf_counter() - start
        except LearnerError as exc:
            if not exc.deadline:
                raise
            raise Feedback(f"{name} was stopped after {SPEED_ABORT_S:.0f} s; {slow}") from None
        best = elapsed if best is None else min(best, elapsed)
        if best <= SPEED_LIMIT_S:
            break
    if best > SPEED_LIMIT_S:
        raise Feedback(f"{name} took {best:.2f} s (best of 3); {slow}")
    check_backprop(result, x, y, weights, name, TOL64, name_mistakes=False)


@pytest.mark.points(1)
def test_arguments_unchanged(sub):
    """backprop and train never write into the arrays they are given."""
    x, y, weights = make_problem(3, 4, 2, 5, seed=91)
    mistake = ("an in-place operation (+=, -=, out=...) on an argument; compute new arrays "
               "instead, e.g. new = w - lr * g")
    for call, fn in [("backprop", lambda a, b, w: sub.backprop(a, b, w)),
                     ("train", lambda a, b, w: sub.train(a, b, w, lr=0.1, epochs=2))]:
        check_arguments_unchanged(call, fn, x, y, weights, mistake)


# --- train ---------------------------------------------------------------------------------------

def _all_close(got, want, *, rtol, atol):
    got, want = np.array(got, dtype=np.float64), np.array(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.isclose(got, want, rtol=rtol, atol=atol).all())


def check_train(result, x, y, weights, lr, epochs, name, *, path_tol, curve=False):
    final, losses = train_result(result, name)
    check_loss_count(losses, epochs, name)
    want_w, want_losses, final_loss = forward_difference_path(x, y, weights, lr, epochs)
    if curve:  # for the report, before any verdict: a wrong curve is the one worth seeing
        record_curve("yours", losses)
        record_curve("reference", want_losses)
    diagnose = []
    if not _all_close(losses, want_losses, rtol=1e-3, atol=path_tol):
        # Wrong paths are computed only when they are needed to name the mistake.
        diagnose = [("recorded each epoch's loss after its update; record it before the update",
                     want_losses[1:] + [final_loss]),
                    ("a sign error in the step: new = old - lr * gradient",
                     forward_difference_path(x, y, weights, -lr, epochs)[1])]
        if lr != 0.01:
            diagnose.append(("train ignored its lr argument and stepped with 0.01",
                             forward_difference_path(x, y, weights, 0.01, epochs)[1]))
    assert_close(losses, want_losses, f"{name}: the losses", rtol=1e-3, atol=path_tol,
                 diagnose=diagnose,
                 hint="each epoch: grads, loss = backprop(inputs, outputs, weights); append loss; "
                      "weights = [w - lr * g for w, g in zip(weights, grads)].")
    check_final_weights(final, weights, want_w, name, path_tol)
    return losses


def reference_backprop(inputs, outputs, weights):
    """backprop as the exercise asks for it (autograd, float64), in the weights' own dtypes."""
    loss, grads = exact(inputs, outputs, weights)
    return [np.array(g, dtype=np.array(w).dtype) for g, w in zip(grads, weights)], loss


def train_on_reference(sub, *args, **kwargs):
    """The learner's train, with the reference backprop in place of theirs for the call."""
    with swapped(sub, backprop=reference_backprop):
        return sub.train(*args, **kwargs)


@pytest.mark.points(2)
def test_train_worked_setup(sub):
    """train (on the reference backprop) on the worked setup, defaults lr 0.01 and 100 epochs, follows gradient descent."""
    x, y, weights = copies(WORKED_X, WORKED_Y, WORKED_W)
    name = on_reference("train(worked setup) with the default lr and epochs", "backprop")
    losses = check_train(train_on_reference(sub, x, y, weights), WORKED_X, WORKED_Y, WORKED_W, 0.01,
                         100, name, path_tol=5e-4, curve=True)
    check_loss_falls(losses, name)


@pytest.mark.points(2)
def test_train_random_network(sub):
    """train (on the reference backprop) on a seeded random network (float64, lr 0.5, 8 epochs) follows gradient descent."""
    x, y, weights = make_problem(3, 4, 2, 5, seed=101)
    name = on_reference("train(d_in=3, h=4, d_out=2, N=5, lr=0.5, epochs=8)", "backprop")
    check_train(train_on_reference(sub, *copies(x, y, weights), lr=0.5, epochs=8), x, y, weights,
                0.5, 8, name, path_tol=2e-3)


@pytest.mark.points(1)
def test_train_with_your_backprop(sub):
    """The whole pipeline: train with your own backprop follows gradient descent."""
    x, y, weights = make_problem(2, 3, 1, 4, seed=111)
    name = "train(d_in=2, h=3, d_out=1, N=4, lr=0.5, epochs=6) with your own backprop"
    try:
        check_train(sub.train(*copies(x, y, weights), lr=0.5, epochs=6), x, y, weights, 0.5, 6,
                    name, path_tol=2e-3)
    except Feedback as feedback:
        raise Feedback(f"{feedback}\nWhere to look: if train passes its checks on the reference"
                       " backprop, the mistake is in backprop (its own checks say how).") from None
