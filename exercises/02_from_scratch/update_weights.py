"""Gradient descent with finite-difference gradients.

Training moves every weight a little against the gradient of the loss:

    new = old - lr * dloss/dold

Here the gradient is *estimated* without any calculus, by a finite difference. Take ONE entry
of ONE weight array, nudge it by a small `eps` (all other entries unchanged), and see how much the
loss moves:

    grad ~= (loss(weights with that entry + eps) - loss(weights)) / eps

Do that for every entry of every array, biases included: `W_h` (d_in, h), `b_h` (h,),
`W_o` (h, d_out) and `b_o` (d_out,). Three rules make it right:

* all gradients are taken at the ORIGINAL weights: nudge a fresh copy each time, and write the
  updated values into separate new arrays (updating as you go would measure later gradients at
  already-updated weights);
* the caller's arrays are never modified (`w.copy()` before any `+=`);
* the new arrays keep the shapes and dtypes of the old ones.

Worked example: inputs [[1, 1]], outputs [[0]] and the float32 weights of `feed_forward`'s
example. The loss is 0.3346. Nudging b_o = -0.5516 by eps = 1e-4 makes the prediction
-0.5783 instead of -0.5784, the loss 0.33443, so grad(b_o) ~= (0.33443 - 0.33455) / 1e-4
~= -1.16 (exactly 2 * prediction = -1.1568) and, with lr = 0.01, b_o becomes -0.5516 + 0.0116
= -0.5400. Repeating the update (`train`, lr 0.01, 100 epochs) the loss falls steadily from
0.3346 to about 0.0003.

`feed_forward` (the network's loss) is given below, complete.
"""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), entry by entry."""
    return 1.0 / (1.0 + np.exp(-z))


def feed_forward(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray]) -> float:
    """Mean squared error of the network sigmoid(inputs @ W_h + b_h) @ W_o + b_o.

    inputs (N, d_in), outputs (N, d_out), weights [W_h (d_in, h), b_h (h,), W_o (h, d_out),
    b_o (d_out,)]; returns a Python float.
    """
    W_h, b_h, W_o, b_o = weights
    hidden = sigmoid(inputs @ W_h + b_h)
    prediction = hidden @ W_o + b_o
    return float(np.mean((prediction - outputs) ** 2))


def update_weights(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float,
                   eps: float = 1e-4) -> tuple[list[np.ndarray], float]:
    """One step of gradient descent with forward-difference gradients.

    inputs (N, d_in), outputs (N, d_out), weights [W_h, b_h, W_o, b_o] as in `feed_forward`.
    For every entry: grad = (loss with that entry + eps - loss) / eps, new = old - lr * grad,
    with every gradient taken at the original weights.
    Returns (new weights: a list of 4 new arrays, same shapes and dtypes; the loss at the
    original weights). The caller's arrays are left unchanged.
    """
    # TODO: the loss at the original weights; then, for every entry of every array (biases
    #       included), the forward-difference gradient on a fresh copy, and new = old - lr * grad
    #       written into new arrays.
    raise NotImplementedError("update_weights: estimate each gradient and take one step")


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    """`epochs` calls of `update_weights`, each starting from the weights the last one returned.

    Returns (the final weights, the list of every epoch's loss: `epochs` floats, each measured
    before that epoch's update). The caller's arrays are left unchanged.
    """
    # TODO: call update_weights `epochs` times, feeding back the new weights; collect the losses.
    raise NotImplementedError("train: repeat update_weights and collect the losses")
