"""Mutant: train steps with a hard-coded learning rate of 0.01 instead of its lr argument.

expect: ignores its lr
"""
from __future__ import annotations

import numpy as np


def forward(x: np.ndarray, w: float, b: float) -> np.ndarray:
    """w * x + b, same shape as x."""
    return w * x + b


def mse(prediction: np.ndarray, actual: np.ndarray) -> float:
    """Mean squared error over all samples, as a float."""
    return float(np.mean((prediction - actual) ** 2))


def gradients(x: np.ndarray, prediction: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """(dL/dw, dL/db) of the mean squared error, averaged over the N samples."""
    error = prediction - actual
    return float(np.mean(2 * x * error)), float(np.mean(2 * error))


def step(w: float, b: float, lr: float, dw: float, db: float) -> tuple[float, float]:
    """One gradient-descent step: move w and b against their gradients."""
    return w - lr * dw, b - lr * db


def train(x: np.ndarray, y: np.ndarray, w: float = 0.0, b: float = 0.0, lr: float = 0.01,
          epochs: int = 10_000) -> tuple[float, float]:
    """Repeat forward, gradients and step for `epochs` epochs; return the final (w, b)."""
    for _ in range(epochs):
        dw, db = gradients(x, forward(x, w, b), y)
        w, b = step(w, b, 0.01, dw, db)
    return float(w), float(b)
