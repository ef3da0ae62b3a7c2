"""The network of chapter 02 (one sigmoid hidden layer, linear output, MSE), for its checks.

feed_forward, update_weights and chain_rule all grade this network: the worked setup of
docs/curriculum.md, seeded problems of any shape, the float64 torch oracle, and the judging of what
update_weights and chain_rule return alike (caller's arrays, train's losses and weights) live here once.
Everything is bound at import, before a submission is loaded (it may reassign module attributes).
"""
import numpy as np
import torch

from grader.checks.helpers import (Feedback, assert_close, assert_unchanged, check_array, check_float,
                                   rng)

_np_array = np.array
_float32 = np.float32
_float64 = np.float64
_from_numpy = torch.from_numpy
_sigmoid = torch.sigmoid
_tmean = torch.mean
_autograd_grad = torch.autograd.grad
_no_grad = torch.no_grad
_ndarray = np.ndarray

LABELS = ["W_h", "b_h", "W_o", "b_o"]

# The worked setup of docs/curriculum.md (float32, as given there).
WORKED_X = _np_array([[1.0, 1.0]], dtype=_float32)
WORKED_Y = _np_array([[0.0]], dtype=_float32)
WORKED_W = [
    _np_array([[-0.0053, 0.3793], [-0.5820, -0.5204], [-0.2723, 0.1896]], dtype=_float32).T.copy(),
    _np_array([-0.0140, 0.5607, -0.0628], dtype=_float32),
    _np_array([[0.1528, -0.1745, -0.1135]], dtype=_float32).T.copy(),
    _np_array([-0.5516], dtype=_float32),
]


def make_problem(d_in, h, d_out, n, seed):
    """Seeded float64 inputs, targets and weights [W_h, b_h, W_o, b_o]."""
    g = rng(seed)
    x = g.standard_normal((n, d_in))
    y = g.standard_normal((n, d_out))
    weights = [g.standard_normal((d_in, h)), g.standard_normal(h) * 0.5,
               g.standard_normal((h, d_out)), g.standard_normal(d_out) * 0.5]
    return x, y, weights


def copies(x, y, weights):
    return x.copy(), y.copy(), [w.copy() for w in weights]


def as64(weights):
    return [_np_array(w, dtype=_float64) for w in weights]


def read_only(arrays):
    """Copies that raise on any write, so an in-place nudge of the caller's arrays is caught
    even when it is undone afterwards."""
    out = []
    for a in arrays:
        a = a.copy()
        a.flags.writeable = False
        out.append(a)
    return out


# --- the oracle (torch, float64) ----------------------------------------------------------------

def tensor64(a, requires_grad=False):
    return _from_numpy(_np_array(a, dtype=_float64)).requires_grad_(requires_grad)


def loss64(x, y, ws):
    """The mean squared error of the network on tensors (keeps the autograd graph)."""
    W_h, b_h, W_o, b_o = ws
    return _tmean((_sigmoid(x @ W_h + b_h) @ W_o + b_o - y) ** 2)


def exact(x, y, weights):
    """(loss, [dloss/dW_h, dloss/db_h, dloss/dW_o, dloss/db_o]) by autograd, float64."""
    ws = [tensor64(w, True) for w in weights]
    loss = loss64(tensor64(x), tensor64(y), ws)
    grads = _autograd_grad(loss, ws)
    return float(loss.detach()), [g.numpy() for g in grads]


def loss_at(x, y, weights):
    with _no_grad():
        return float(loss64(tensor64(x), tensor64(y), [tensor64(w) for w in weights]))


# --- judging what the learner's code returns (update_weights and chain_rule) ---------------------

def check_arguments_unchanged(call, fn, x, y, weights, mistake):
    """fn(inputs, outputs, weights) writes into none of them: read-only arrays catch even a write
    that is undone later, and copies compared afterwards catch the rest."""
    try:
        fn(*read_only([x, y]), read_only(weights))
    except ValueError as exc:
        if "read-only" not in str(exc):
            raise
        raise Feedback(f"{call} wrote into an array it was given (the checks pass read-only arrays, "
                       f"and numpy said: {exc}). Likely mistake: {mistake}.")
    x2, y2, w2 = copies(x, y, weights)
    fn(x2, y2, w2)
    for label, before, after in zip(LABELS, weights, w2):
        assert_unchanged(before, after, f"{call}: the caller's {label} ({before.dtype})", mistake=mistake)
    assert_unchanged(x, x2, f"{call}: inputs", mistake=mistake)
    assert_unchanged(y, y2, f"{call}: outputs", mistake=mistake)


def train_result(result, name):
    """train's (final weights, losses), the losses as Python floats."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"{name} should return a tuple (weights, losses), got "
                       f"{type(result).__name__} {str(result)[:60]}.")
    final, losses = result
    if not isinstance(losses, (list, tuple, _ndarray)):
        raise Feedback(f"{name}: losses should be a list of floats, got {type(losses).__name__}.")
    return final, [check_float(v, f"{name}: losses[{i}]") for i, v in enumerate(losses)]


def check_loss_count(losses, epochs, name, how=""):
    """One loss per epoch, and losses that change (the new weights are fed back); `how` shows the
    exercise's own update line."""
    if len(losses) != epochs:
        extra = (" One loss too many: record one loss per epoch, before its update."
                 if len(losses) == epochs + 1 else "")
        raise Feedback(f"{name}: got {len(losses)} losses, expected {epochs} (one per epoch).{extra}")
    if epochs > 1 and max(losses) - min(losses) < 1e-12:
        raise Feedback(f"{name}: every epoch's loss is {losses[0]:.6g}. Likely mistake: the new "
                       f"weights are not fed back; each epoch must start from the weights of the "
                       f"previous step{how}.")


def check_final_weights(final, weights, want, name, tol):
    """The trained weights: 4 float arrays of the starting shapes, equal to `want`."""
    if not isinstance(final, (list, tuple)) or len(final) != 4:
        raise Feedback(f"{name}: the final weights should be a list of 4 arrays, got "
                       f"{type(final).__name__}.")
    for label, got, old, w in zip(LABELS, final, weights, want):
        check_array(got, f"{name}: final {label}", shape=old.shape, dtype="floating")
        assert_close(got, w, f"{name}: final {label}", rtol=1e-3, atol=tol,
                     diagnose=[("returned the starting weights instead of the trained ones", old)],
                     hint="return the weights after the last epoch's update.")


def check_loss_falls(losses, name):
    """Every epoch's loss is below the previous one (the worked setup with lr 0.01)."""
    rises = [i for i in range(1, len(losses)) if not losses[i] < losses[i - 1]]
    if rises:
        i = rises[0]
        raise Feedback(f"{name}: the loss should fall at every epoch, but losses[{i}] = "
                       f"{losses[i]:.6g} >= losses[{i - 1}] = {losses[i - 1]:.6g}.")
