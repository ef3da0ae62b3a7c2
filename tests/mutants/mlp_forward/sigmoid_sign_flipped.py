"""Wrong on purpose: sigmoid computes 1 / (1 + e^{z}).

expect: sign of the exponent
"""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^{-z}), entry by entry; same shape as z."""
    e = np.exp(-np.abs(z))  # the exponent is <= 0, so this never overflows
    return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, numerically stable; same shape as z (e.g. (k,) or (N, k)).

    Each slice along the last axis sums to 1. The caller's array is left unchanged.
    """
    shifted = z - np.max(z, axis=-1, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=-1, keepdims=True)


def binary_cross_entropy(y_hat: np.ndarray, y: np.ndarray) -> float:
    """-mean(y log(y_hat) + (1 - y) log(1 - y_hat)) over all entries, as a Python float.

    y_hat: predicted probabilities in (0, 1); y: targets (0 or 1) of the same shape.
    """
    return float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def forward(x: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """The forward pass; returns {"a1": ..., "h1": ..., ..., "aL": ..., "hL": ...}.

    x: one input vector (n,) or a batch (N, n).
    params: [(W_1, b_1), ..., (W_L, b_L)], W_i of shape (out_i, in_i), b_i of shape (out_i,).
    a_i and h_i have shape (out_i,) for a vector input and (N, out_i) for a batch.
    Hidden layers use sigmoid, the last layer softmax.
    """
    outputs: dict[str, np.ndarray] = {}
    h = x
    last = len(params)
    for i, (W, b) in enumerate(params, start=1):
        a = h @ W.T + b
        h = softmax(a) if i == last else sigmoid(a)
        outputs[f"a{i}"] = a
        outputs[f"h{i}"] = h
    return outputs
