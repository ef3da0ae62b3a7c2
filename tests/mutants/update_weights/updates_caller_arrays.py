"""Wrong on purpose: the new values are written into the caller's arrays, which are returned.

expect: in-place update of the caller's weights while computing the finite differences
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
    loss = feed_forward(inputs, outputs, weights)
    new_weights = weights
    for i, w in enumerate(weights):
        for index in np.ndindex(w.shape):
            nudged = [v.copy() for v in weights]
            nudged[i][index] += eps
            grad = (feed_forward(inputs, outputs, nudged) - loss) / eps
            new_weights[i][index] = w[index] - lr * grad
    return new_weights, loss


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    """`epochs` calls of `update_weights`, each starting from the weights the last one returned.

    Returns (the final weights, the list of every epoch's loss: `epochs` floats, each measured
    before that epoch's update). The caller's arrays are left unchanged.
    """
    losses = []
    for _ in range(epochs):
        weights, loss = update_weights(inputs, outputs, weights, lr)
        losses.append(loss)
    return weights, losses
