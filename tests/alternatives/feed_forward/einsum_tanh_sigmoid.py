"""A correct solution with einsum, sigmoid written through tanh, and the MSE as a dot product."""
from __future__ import annotations

import numpy as np


def predict(inputs: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    W_h, b_h, W_o, b_o = weights
    hidden = 0.5 * (1.0 + np.tanh(0.5 * (np.einsum("ni,ih->nh", inputs, W_h) + b_h)))
    return np.einsum("nh,ho->no", hidden, W_o) + b_o[None, :]


def feed_forward(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray]) -> float:
    diff = (predict(inputs, weights) - outputs).ravel()
    return float(diff @ diff) / diff.size
