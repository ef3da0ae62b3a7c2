"""Hidden checks for `update_weights`: gradient descent with finite-difference gradients.

Oracles: the exact gradient by torch autograd in float64 on the same weights (a forward
difference with eps = 1e-4 is within about 1e-3 of it here), a float64 finite-difference step
written in this module (for naming the "already-updated weights" mistake), and the worked setup
of docs/curriculum.md (loss about 0.3346 at the start, falling steadily over 100 epochs).

A step is judged by the gradient it implies, (old - new) / lr, so that the message can show the
gradient the learner's code used next to the true one.
"""
import numpy as np
import pytest
import torch

from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, check_array, check_float,
                                   record_curve)
from grader.checks.isolate import on_reference, swapped
from grader.checks.network import (
    LABELS, WORKED_X, WORKED_Y, WORKED_W, make_problem, copies, as64, exact, loss64, loss_at, tensor64,
    check_arguments_unchanged, train_result, check_loss_count, check_final_weights, check_loss_falls,
)


# A forward difference with eps = 1e-4 is off the exact gradient by about eps/2 * (2nd derivative)
# (<= 1e-4 here) plus, in float32, rounding of the loss divided by eps (<= 1e-3 here).
GRAD_TOL = dict(rtol=1e-2, atol=3e-3)
LOSS_TOL = dict(rtol=1e-4, atol=1e-6)

# (d_in, h, d_out, N): batch of 1 included.
SHAPES = [(2, 3, 1, 1), (3, 4, 2, 1), (4, 5, 3, 6), (1, 2, 2, 9)]


def sequential_step(x, y, weights, lr, eps=1e-4, *, fixed_base=False):
    """The classic wrong step: each entry's gradient taken after the earlier entries moved.

    fixed_base: the loss it is compared with stays the one at the original weights (the loss
    computed once, before the loop), as in code that updates the caller's arrays as it goes."""
    with torch.no_grad():
        x, y = tensor64(x), tensor64(y)
        ws = [tensor64(w) for w in weights]
        start = float(loss64(x, y, ws))
        for w in ws:
            flat = w.view(-1)
            for k in range(flat.numel()):
                old = float(flat[k])
                base = start if fixed_base else float(loss64(x, y, ws))
                flat[k] = old + eps
                plus = float(loss64(x, y, ws))
                flat[k] = old - lr * (plus - base) / eps
        return [w.numpy() for w in ws]


def exact_path(x, y, weights, lr, epochs):
    """Gradient descent with exact gradients: (final weights, every epoch's loss)."""
    ws, losses = as64(weights), []
    for _ in range(epochs):
        loss, grads = exact(x, y, ws)
        losses.append(loss)
        ws = [w - lr * g for w, g in zip(ws, grads)]
    return ws, losses


# --- judging one step ----------------------------------------------------------------------------

def check_result_types(result, weights, name):
    """(list of 4 arrays with the shapes and dtypes of `weights`, a float)."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"{name} should return a tuple (new_weights, loss), got "
                       f"{type(result).__name__} {str(result)[:60]}.")
    new, loss = result
    if not isinstance(new, (list, tuple)) or len(new) != 4:
        raise Feedback(f"{name}: new_weights should be a list of 4 arrays [W_h, b_h, W_o, b_o], "
                       f"got {type(new).__name__} of length {len(new) if hasattr(new, '__len__') else '?'}.")
    for label, got, old in zip(LABELS, new, weights):
        check_array(got, f"{name}: new {label}", shape=old.shape)
        if got.dtype != old.dtype:
            raise Feedback(f"{name}: new {label} has dtype {got.dtype}, expected {old.dtype} like the "
                           f"array passed in. Keep the dtype: compute old - lr * grad with a Python "
                           f"float grad, or cast back with .astype(old.dtype).")
    return list(new), check_float(loss, f"{name}: the returned loss")


IN_PLACE_STEP = ("in-place update of the caller's weights while computing the finite differences: "
                 "your new weights are the arrays you were given, updated entry by entry, so every "
                 "later gradient was taken at weights that had already moved. Write the updates into "
                 "new arrays (new = [w.copy() for w in weights]) and nudge copies of the originals")


def check_step(x, y, weights, new, lr, name, *, passed=None):
    """Each array's implied gradient (old - new) / lr against the exact gradient.

    `passed` are the arrays the learner was given: a result that shares memory with them was
    updated in place, and the replay of that mistake (sequential_step) names it."""
    _, grads = exact(x, y, weights)
    in_place = passed is not None and any(np.shares_memory(n, p) for n, p in zip(new, passed)
                                          if isinstance(n, np.ndarray))
    seq_grads = [(w - s) / lr for w, s in zip(as64(weights), sequential_step(x, y, weights, lr))]
    fixed_grads = [(w - s) / lr for w, s in
                   zip(as64(weights), sequential_step(x, y, weights, lr, fixed_base=True))]
    implied = [(w - np.array(n, dtype=np.float64)) / lr for w, n in zip(as64(weights), new)]
    # A step uniformly too large or too small (wrong denominator) shows as one common ratio.
    num = sum(float((i * g).sum()) for i, g in zip(implied, grads))
    den = sum(float((g * g).sum()) for g in grads)
    ratio = num / den if den > 0 else 1.0
    for k, (label, got, want) in enumerate(zip(LABELS, implied, grads)):
        diagnose = []
        if label.startswith("b"):
            diagnose.append(("skipped the bias arrays: b_h and b_o must get a gradient step too",
                             0 * want))
        diagnose.append(("a sign error: the step went up the gradient; new = old - lr * grad", -want))
        if in_place:
            diagnose[:0] = [(IN_PLACE_STEP, seq_grads[k]), (IN_PLACE_STEP, fixed_grads[k])]
        else:
            diagnose.append(("took later gradients at already-updated weights; take every gradient "
                             "at the original weights (nudge a fresh copy of the original arrays, "
                             "and write the updates into separate new arrays)", seq_grads[k]))
        if abs(ratio - 1) > 0.05 and abs(ratio + 1) > 0.05:
            diagnose.append((f"dividing the loss difference by the wrong step: your gradients are "
                             f"{ratio:.4g} times the true ones; divide (loss_plus - loss) by eps, "
                             f"the size of the nudge", ratio * want))
        assert_close(got, want,
                     f"{name}: the gradient your step used for {label} [(old - new) / lr]",
                     **GRAD_TOL, diagnose=diagnose,
                     hint=("your new weights are the caller's arrays, updated in place: "
                           if in_place else "")
                     + "for each entry: grad = (loss with that entry + eps - loss) / eps at the "
                       "original weights, and new = old - lr * grad.")


# --- update_weights ------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_returns_new_weights_and_loss(sub):
    """update_weights returns ([4 arrays, same shapes and dtypes], loss at the original weights)."""
    for x, y, weights in [(WORKED_X, WORKED_Y, WORKED_W), make_problem(3, 4, 2, 5, seed=11)]:
        name = f"update_weights(...) on {weights[0].dtype} weights"
        new, loss = check_result_types(sub.update_weights(*copies(x, y, weights), 0.01),
                                       weights, name)
        ref_loss, grads = exact(x, y, weights)
        after = loss_at(x, y, [w - 0.01 * g for w, g in zip(as64(weights), grads)])
        assert_close(loss, ref_loss, f"{name}: the returned loss", **LOSS_TOL,
                     diagnose=[("returned the loss after the update; return the loss at the "
                                "original weights", after)],
                     hint="return feed_forward(inputs, outputs, weights) at the weights passed in.")


@pytest.mark.points(2)
def test_worked_step(sub):
    """One step on the worked setup (float32, lr = 0.01): every array moves by -lr * gradient."""
    x, y, weights = copies(WORKED_X, WORKED_Y, WORKED_W)
    name = "update_weights(worked setup, lr=0.01)"
    new, loss = check_result_types(sub.update_weights(x, y, weights, 0.01), WORKED_W, name)
    check_step(WORKED_X, WORKED_Y, WORKED_W, new, 0.01, name, passed=weights)


@pytest.mark.points(2)
@pytest.mark.parametrize("d_in, h, d_out, n", SHAPES)
def test_step_random_shapes(sub, d_in, h, d_out, n):
    """One step on seeded random networks (float64, lr = 0.5, batch of 1 included)."""
    x, y, weights = make_problem(d_in, h, d_out, n, seed=20 + 5 * d_in + 3 * h + n)
    name = f"update_weights(d_in={d_in}, h={h}, d_out={d_out}, N={n}, lr=0.5)"
    given = copies(x, y, weights)
    new, _ = check_result_types(sub.update_weights(*given, 0.5), weights, name)
    check_step(x, y, weights, new, 0.5, name, passed=given[2])


@pytest.mark.points(2)
def test_gradients_at_original_weights(sub):
    """With a large step (lr = 2) every gradient must still be taken at the original weights."""
    x, y, weights = WORKED_X, WORKED_Y, as64(WORKED_W)
    name = "update_weights(worked setup in float64, lr=2.0)"
    given = copies(x, y, weights)
    new, _ = check_result_types(sub.update_weights(*given, 2.0), weights, name)
    check_step(x, y, weights, new, 2.0, name, passed=given[2])


@pytest.mark.points(1)
def test_eps_is_used(sub):
    """The eps argument is the size of the nudge: eps = 1e-6 gives the same step."""
    x, y, weights = make_problem(2, 3, 2, 4, seed=31)
    name = "update_weights(..., lr=0.5, eps=1e-6)"
    given = copies(x, y, weights)
    new, _ = check_result_types(sub.update_weights(*given, 0.5, 1e-6), weights, name)
    check_step(x, y, weights, new, 0.5, name, passed=given[2])


IN_PLACE = ("nudging or updating the caller's arrays in place; copy an array (w.copy()) before "
            "nudging it, and write the new values into new arrays")


@pytest.mark.points(2)
def test_caller_arrays_unchanged(sub):
    """update_weights never writes into the caller's arrays, not even to nudge and restore them."""
    for x, y, weights in [(WORKED_X, WORKED_Y, WORKED_W), make_problem(3, 4, 2, 5, seed=41)]:
        check_arguments_unchanged("update_weights", lambda a, b, w: sub.update_weights(a, b, w, 0.5),
                                  x, y, weights, IN_PLACE)


# --- train ---------------------------------------------------------------------------------------

def check_train(result, x, y, weights, lr, epochs, name, *, path_tol, curve=False):
    final, losses = train_result(result, name)
    want_w, want_losses = exact_path(x, y, weights, lr, epochs)
    if curve:  # for the report, before any verdict: a wrong curve is the one worth seeing
        record_curve("yours", losses)
        record_curve("reference", want_losses)
    check_loss_count(losses, epochs, name, " (weights, loss = update_weights(...))")
    diagnose = [("recorded each epoch's loss after its update; record the loss "
                 "update_weights returns, measured before the update",
                 want_losses[1:] + [loss_at(x, y, want_w)])]
    if lr != 0.01:
        diagnose.append(("train ignored its lr argument and stepped with 0.01; pass lr on to "
                         "update_weights", exact_path(x, y, weights, 0.01, epochs)[1]))
    assert_close(losses, want_losses, f"{name}: the losses", rtol=1e-3, atol=path_tol,
                 diagnose=diagnose,
                 hint="each epoch: weights, loss = update_weights(inputs, outputs, weights, lr); "
                      "append loss.")
    check_final_weights(final, weights, want_w, name, path_tol)
    return losses


def reference_update_weights(inputs, outputs, weights, lr, eps=1e-4):
    """One exact gradient step (autograd, float64), new arrays in the weights' own dtypes."""
    loss, grads = exact(inputs, outputs, weights)
    return [np.array(w - lr * g, dtype=np.array(w).dtype) for w, g in zip(as64(weights), grads)], loss


def train_on_reference(sub, *args, **kwargs):
    """The learner's train, with the reference update_weights in place of theirs for the call."""
    with swapped(sub, update_weights=reference_update_weights):
        return sub.train(*args, **kwargs)


@pytest.mark.points(2)
def test_train_worked_setup(sub):
    """train (on the reference update_weights) on the worked setup, defaults lr 0.01 and 100 epochs: the loss falls steadily."""
    x, y, weights = copies(WORKED_X, WORKED_Y, WORKED_W)
    name = on_reference("train(worked setup) with the default lr and epochs", "update_weights")
    losses = check_train(train_on_reference(sub, x, y, weights), WORKED_X, WORKED_Y, WORKED_W, 0.01,
                         100, name, path_tol=5e-4, curve=True)
    check_loss_falls(losses, name)
    for label, before, after in zip(LABELS, WORKED_W, weights):
        assert_unchanged(before, after, f"The caller's {label}",
                         mistake="training on the caller's arrays in place; work on new arrays")


@pytest.mark.points(2)
def test_train_random_network(sub):
    """train (on the reference update_weights) on a seeded random network (float64, lr 0.5, 8 epochs) follows gradient descent."""
    x, y, weights = make_problem(3, 4, 2, 5, seed=51)
    name = on_reference("train(d_in=3, h=4, d_out=2, N=5, lr=0.5, epochs=8)", "update_weights")
    check_train(train_on_reference(sub, *copies(x, y, weights), lr=0.5, epochs=8), x, y, weights,
                0.5, 8, name, path_tol=2e-3)


@pytest.mark.points(1)
def test_train_with_your_update_weights(sub):
    """The whole pipeline: train with your own update_weights follows gradient descent."""
    x, y, weights = make_problem(2, 3, 1, 4, seed=61)
    name = "train(d_in=2, h=3, d_out=1, N=4, lr=0.5, epochs=6) with your own update_weights"
    try:
        check_train(sub.train(*copies(x, y, weights), lr=0.5, epochs=6), x, y, weights, 0.5, 6,
                    name, path_tol=2e-3)
    except Feedback as feedback:
        raise Feedback(f"{feedback}\nWhere to look: if train passes its checks on the reference"
                       " update_weights, the mistake is in update_weights (its own checks say"
                       " how).") from None
