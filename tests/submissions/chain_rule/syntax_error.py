"""A missing closing bracket in backprop."""
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

    # The backward pass, from the loss back to the inputs.
    d_prediction = 2.0 * (prediction - outputs) / prediction.size   # (N, d_out)
    d_W_o = hidden.T @ d_prediction                                 # (h, d_out)
    d_b_o = (d_prediction.sum(axis=0)                                # (d_out,)
    d_hidden = d_prediction @ W_o.T                                 # (N, h)
    d_z = d_hidden * hidden * (1.0 - hidden)                        # (N, h)
    d_W_h = inputs.T @ d_z                                          # (d_in, h)
    d_b_h = d_z.sum(axis=0)                                         # (h,)
    return [d_W_h, d_b_h, d_W_o, d_b_o], loss


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
