"""Wrong on purpose: backprop estimates every gradient by central finite differences, one weight at a time: accurate, but a forward pass per weight is far too slow on a real network.

expect: finite differences
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


def backprop(inputs: np.ndarray, outputs: np.ndarray,
             weights: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
    """The exact gradients of feed_forward's loss, and the loss.

    inputs (N, d_in), outputs (N, d_out), weights [W_h (d_in, h), b_h (h,), W_o (h, d_out),
    b_o (d_out,)].
    Returns ([dloss/dW_h, dloss/db_h, dloss/dW_o, dloss/db_o] with the shapes of the weights,
    the loss as a Python float). Vectorised over the batch; the arguments are left unchanged.
    """
    W_h, b_h, W_o, b_o = weights
    # The forward pass, keeping what the backward pass needs.
    z = inputs @ W_h + b_h                       # (N, h)
    hidden = sigmoid(z)                          # (N, h)
    prediction = hidden @ W_o + b_o              # (N, d_out)
    loss = float(np.mean((prediction - outputs) ** 2))

    eps = 1e-6
    originals = [np.array(w, dtype=np.float64) for w in weights]
    grads = []
    for i, w in enumerate(originals):
        grad = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            plus = list(originals)
            minus = list(originals)
            plus[i] = w.copy()
            minus[i] = w.copy()
            plus[i][index] += eps
            minus[i][index] -= eps
            grad[index] = (feed_forward(inputs, outputs, plus)
                           - feed_forward(inputs, outputs, minus)) / (2 * eps)
        grads.append(grad)
    return grads, loss


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    """Gradient descent with backprop's gradients: new = old - lr * gradient, `epochs` times.

    Returns (the final weights, the list of every epoch's loss: `epochs` floats, each measured
    before that epoch's update). The caller's arrays are left unchanged.
    """
    losses = []
    for _ in range(epochs):
        grads, loss = backprop(inputs, outputs, weights)
        weights = [w - lr * g for w, g in zip(weights, grads)]
        losses.append(loss)
    return weights, losses
