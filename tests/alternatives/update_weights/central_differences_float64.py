"""A correct alternative: central differences computed in float64, cast back to each dtype.

(loss(w + eps) - loss(w - eps)) / (2 eps) is a more accurate estimate than the forward
difference; the step it gives agrees with the forward difference's up to finite-difference error.
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
    x = np.asarray(inputs, dtype=np.float64)
    y = np.asarray(outputs, dtype=np.float64)
    originals = [np.array(w, dtype=np.float64) for w in weights]
    loss = feed_forward(x, y, originals)
    new_weights = []
    for i, w in enumerate(originals):
        grad = np.zeros_like(w)
        flat = grad.reshape(-1)
        for k in range(w.size):
            plus = [v.copy() for v in originals]
            minus = [v.copy() for v in originals]
            plus[i].reshape(-1)[k] += eps
            minus[i].reshape(-1)[k] -= eps
            flat[k] = (feed_forward(x, y, plus) - feed_forward(x, y, minus)) / (2 * eps)
        new_weights.append((w - lr * grad).astype(weights[i].dtype))
    return new_weights, loss


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    current = [w.copy() for w in weights]
    losses: list[float] = []
    epoch = 0
    while epoch < epochs:
        current, loss = update_weights(inputs, outputs, current, lr)
        losses.append(float(loss))
        epoch += 1
    return current, losses
