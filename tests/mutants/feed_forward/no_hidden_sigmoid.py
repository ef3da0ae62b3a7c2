"""Wrong on purpose: the hidden layer has no activation: the network is linear.

expect: forgot the sigmoid on the hidden layer
"""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), entry by entry (any shape)."""
    return 1.0 / (1.0 + np.exp(-z))


def predict(inputs: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """The network's prediction.

    inputs:  (N, d_in)
    weights: [W_h (d_in, h), b_h (h,), W_o (h, d_out), b_o (d_out,)]
    returns: (N, d_out) = sigmoid(inputs @ W_h + b_h) @ W_o + b_o
    """
    W_h, b_h, W_o, b_o = weights
    hidden = inputs @ W_h + b_h
    return hidden @ W_o + b_o


def feed_forward(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray]) -> float:
    """The mean squared error of the prediction over all N * d_out entries.

    inputs:  (N, d_in)
    outputs: (N, d_out), the targets
    weights: as in `predict`
    returns: a Python float
    """
    prediction = predict(inputs, weights)
    return float(np.mean((prediction - outputs) ** 2))
