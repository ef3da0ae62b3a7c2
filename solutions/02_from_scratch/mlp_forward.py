"""A multi-layer perceptron's forward pass, softmax and binary cross-entropy (NumPy only).

A multi-layer perceptron (MLP) is a stack of layers. Layer i takes the previous activation
h_{i-1} and computes, exactly as on a whiteboard,

    a_i = W_i h_{i-1} + b_i          (pre-activation)
    h_i = sigmoid(a_i)               (hidden layers)
    h_L = softmax(a_L)               (the last layer L: a probability distribution)

with h_0 = x. W_i has shape (out, in) and b_i shape (out,): one row of W_i per output unit.
For a single input vector x of shape (n,), every a_i and h_i is a vector. For a batch X of shape
(N, n), one sample per row, the same formula reads A_i = H_{i-1} W_iᵀ + b_i: shape (N, out),
and b_i is broadcast over the rows. (`h @ W.T + b` works for both a vector and a batch.)

sigmoid(z) = 1 / (1 + e^{-z}) squashes every entry into (0, 1).
softmax(z)_k = e^{z_k} / sum_j e^{z_j} turns a row of scores into probabilities that sum to 1.
It is taken over the last axis (each sample's scores), never across the batch. e^{1000}
overflows to inf, so compute it as softmax(z - max(z)): subtracting the row's maximum changes
nothing mathematically and keeps every exponent <= 0.

binary_cross_entropy(y_hat, y) = -mean(y log(y_hat) + (1 - y) log(1 - y_hat)), the mean over
all entries: the loss of predicted probabilities y_hat against 0/1 targets y.

Worked example: x = [1.5, 2.5, 3]; W1 = all 0.05 (3 × 3), b1 = [0.01, 0.02, 0.03];
W2 = all 0.025 (3 × 3), b2 = [0.01, 0.02, 0.03]; W3 = all 1.0 (2 × 3), b3 = [0.01, 0.02].
    a1 = W1 x + b1 = 0.05 · 7 + b1 = [0.36, 0.37, 0.38]
    h1 = sigmoid(a1) ≈ [0.589, 0.591, 0.594]
    ...
    h3 = softmax(a3) ≈ [0.4975, 0.5025]     (a3's two entries differ by exactly 0.01)
With y = [1, 0], binary_cross_entropy(h3, y) ≈ 0.698.
"""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^{-z}), entry by entry; same shape as z."""
    e = np.exp(-np.abs(z))  # the exponent is <= 0, so this never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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
