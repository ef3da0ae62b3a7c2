"""A correct alternative: explicit loops, W h per sample, softmax via log-sum-exp, naive sigmoid."""
from __future__ import annotations

import math

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    for index, value in np.ndenumerate(z):
        if value >= 0:
            out[index] = 1.0 / (1.0 + math.exp(-value))
        else:
            e = math.exp(value)
            out[index] = e / (1.0 + e)
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])
    out = np.empty_like(rows)
    for r, row in enumerate(rows):
        m = max(row)
        log_norm = m + math.log(sum(math.exp(v - m) for v in row))
        for k, v in enumerate(row):
            out[r, k] = math.exp(v - log_norm)
    return out.reshape(z.shape)


def binary_cross_entropy(y_hat: np.ndarray, y: np.ndarray) -> float:
    total, count = 0.0, 0
    for p, t in zip(np.ravel(y_hat), np.ravel(y)):
        total += t * math.log(p) + (1 - t) * math.log(1 - p)
        count += 1
    return -total / count


def _one(x: np.ndarray, params) -> dict[str, np.ndarray]:
    out = {}
    h = x
    for i, (W, b) in enumerate(params, start=1):
        a = np.array([sum(W[r, c] * h[c] for c in range(W.shape[1])) + b[r] for r in range(W.shape[0])])
        h = softmax(a) if i == len(params) else sigmoid(a)
        out[f"a{i}"], out[f"h{i}"] = a, h
    return out


def forward(x: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    if x.ndim == 1:
        return _one(x, params)
    rows = [_one(row, params) for row in x]
    return {key: np.stack([r[key] for r in rows]) for key in rows[0]}
