"""A correct alternative: gradients collected first into arrays, then one vectorised step."""
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
    loss = feed_forward(inputs, outputs, weights)
    grads = []
    for i in range(len(weights)):
        grad = np.empty(weights[i].shape)
        it = np.nditer(weights[i], flags=["multi_index"])
        for _ in it:
            trial = [w.copy() for w in weights]
            trial[i][it.multi_index] = trial[i][it.multi_index] + eps
            grad[it.multi_index] = (feed_forward(inputs, outputs, trial) - loss) / eps
        grads.append(grad)
    new_weights = [np.subtract(w, lr * g, dtype=w.dtype, casting="same_kind") for w, g in zip(weights, grads)]
    return new_weights, loss


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    history = []
    for _ in range(epochs):
        weights, loss = update_weights(inputs, outputs, weights, lr=lr)
        history.append(loss)
    return weights, history
