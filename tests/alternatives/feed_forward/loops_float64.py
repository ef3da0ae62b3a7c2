"""A correct solution with explicit Python loops over samples and units, in float64."""
from __future__ import annotations

import math

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def predict(inputs: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    W_h, b_h, W_o, b_o = (np.asarray(w, dtype=np.float64) for w in weights)
    x = np.asarray(inputs, dtype=np.float64)
    n, d_in = x.shape
    h, d_out = W_o.shape
    prediction = np.zeros((n, d_out))
    for s in range(n):
        hidden = [0.0] * h
        for j in range(h):
            z = b_h[j] + sum(x[s, i] * W_h[i, j] for i in range(d_in))
            hidden[j] = 1.0 / (1.0 + math.exp(-z))
        for k in range(d_out):
            prediction[s, k] = b_o[k] + sum(hidden[j] * W_o[j, k] for j in range(h))
    return prediction


def feed_forward(inputs: np.ndarray, outputs: np.ndarray, weights: list[np.ndarray]) -> float:
    prediction = predict(inputs, weights)
    total = 0.0
    for s in range(prediction.shape[0]):
        for k in range(prediction.shape[1]):
            total += (prediction[s, k] - float(outputs[s, k])) ** 2
    return total / prediction.size
