"""A correct alternative: backprop one sample at a time (a loop over the batch), in float64.

Slower than the vectorised version, but still a single backward pass per sample: fast enough.
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
    W_h, b_h, W_o, b_o = (np.asarray(w, dtype=np.float64) for w in weights)
    x_all = np.asarray(inputs, dtype=np.float64)
    y_all = np.asarray(outputs, dtype=np.float64)
    n, d_out = y_all.shape
    grads = [np.zeros_like(W_h), np.zeros_like(b_h), np.zeros_like(W_o), np.zeros_like(b_o)]
    total = 0.0
    for x, y in zip(x_all, y_all):
        hidden = 1.0 / (1.0 + np.exp(-(x @ W_h + b_h)))     # (h,)
        error = hidden @ W_o + b_o - y                       # (d_out,)
        total += float(error @ error)
        d_pred = 2.0 * error / (n * d_out)
        d_z = (W_o @ d_pred) * hidden * (1.0 - hidden)       # (h,)
        grads[0] += np.outer(x, d_z)
        grads[1] += d_z
        grads[2] += np.outer(hidden, d_pred)
        grads[3] += d_pred
    return grads, total / (n * d_out)


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    current = [np.array(w, dtype=np.float64) for w in weights]
    losses = []
    for _ in range(epochs):
        grads, loss = backprop(inputs, outputs, current)
        losses.append(loss)
        for i in range(4):
            current[i] = current[i] - lr * grads[i]
    return current, losses
