"""A correct alternative: einsum, and the sigmoid's derivative written as exp(-z) / (1 + exp(-z))**2."""
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
    W_h, b_h, W_o, b_o = weights
    z = np.einsum("ni,ih->nh", inputs, W_h) + b_h
    e = np.exp(-z)
    hidden = 1.0 / (1.0 + e)
    error = np.einsum("nh,ho->no", hidden, W_o) + b_o - outputs
    loss = float(np.square(error).mean())
    d_pred = error * (2.0 / error.size)
    d_z = np.einsum("no,ho->nh", d_pred, W_o) * e / (1.0 + e) ** 2
    return [np.einsum("ni,nh->ih", inputs, d_z), np.einsum("nh->h", d_z),
            np.einsum("nh,no->ho", hidden, d_pred), np.einsum("no->o", d_pred)], loss


def train(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray], lr: float = 0.01,
          epochs: int = 100) -> tuple[list[np.ndarray], list[float]]:
    losses = []
    for _ in range(epochs):
        grads, loss = backprop(inputs, outputs, weights)
        losses.append(loss)
        weights = [np.subtract(w, lr * g) for w, g in zip(weights, grads)]
    return weights, losses
