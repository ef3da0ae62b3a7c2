"""The network of chapter 02 (one sigmoid hidden layer, linear output, MSE), for its checks.

feed_forward, update_weights and chain_rule all grade this network: the worked setup of
CURRICULUM.md, seeded problems of any shape, and the float64 torch oracle live here once.
Everything is bound at import, before a submission is loaded (it may reassign module attributes).
"""
import numpy as np
import torch

from grader.checks.helpers import rng

_np_array = np.array
_float32 = np.float32
_float64 = np.float64
_from_numpy = torch.from_numpy
_sigmoid = torch.sigmoid
_tmean = torch.mean
_autograd_grad = torch.autograd.grad
_no_grad = torch.no_grad

LABELS = ["W_h", "b_h", "W_o", "b_o"]

# The worked setup of CURRICULUM.md (float32, as given there).
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
