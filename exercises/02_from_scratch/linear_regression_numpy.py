"""Linear regression from scratch: forward, loss, gradients, one step, and the training loop.

A line predicts y from x with two numbers, a weight w and a bias b:

    prediction = w * x + b                      (element-wise over the N samples)

How wrong it is: the mean squared error over the samples,

    L = (1/N) * sum_i (prediction_i - actual_i)**2

Gradient descent nudges w and b against the slope of L. By the chain rule,

    dL/dw = (1/N) * sum_i 2 * x_i * (prediction_i - actual_i)
    dL/db = (1/N) * sum_i 2 *       (prediction_i - actual_i)

and one step with learning rate lr is  w <- w - lr * dL/dw,  b <- b - lr * dL/db.

Worked example: x = [1, 2, 3], actual = [3, 5, 8], w = 1, b = 0. Then prediction = [1, 2, 3],
errors = [-2, -3, -5], L = (4 + 9 + 25) / 3 = 38/3 ≈ 12.6667,
dL/dw = (2*1*-2 + 2*2*-3 + 2*3*-5) / 3 = -46/3 ≈ -15.3333, dL/db = 2*(-2 - 3 - 5) / 3 = -20/3 ≈ -6.6667.
With lr = 0.1 the step gives w ≈ 2.5333, b ≈ 0.6667: both move towards the data.

The data x = [1, 2, 3, 4, 5], y = [6, 11, 16, 21, 26] lie on y = 5x + 1; training from
w = b = 0 should find w ≈ 5, b ≈ 1. NumPy only: no torch in this file.
"""
from __future__ import annotations

import numpy as np


def forward(x: np.ndarray, w: float, b: float) -> np.ndarray:
    """w * x + b, same shape as x."""
    # TODO: the prediction for every sample
    raise NotImplementedError("forward")


def mse(prediction: np.ndarray, actual: np.ndarray) -> float:
    """Mean squared error over all samples, as a float."""
    # TODO: the mean of the squared differences, as a Python float
    raise NotImplementedError("mse")


def gradients(x: np.ndarray, prediction: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """(dL/dw, dL/db) of the mean squared error, averaged over the N samples."""
    # TODO: dL/dw and dL/db of the mean squared error (average over the samples)
    raise NotImplementedError("gradients")


def step(w: float, b: float, lr: float, dw: float, db: float) -> tuple[float, float]:
    """One gradient-descent step: move w and b against their gradients."""
    # TODO: move w and b against their gradients
    raise NotImplementedError("step")


def train(x: np.ndarray, y: np.ndarray, w: float = 0.0, b: float = 0.0, lr: float = 0.01,
          epochs: int = 10_000) -> tuple[float, float]:
    """Repeat forward, gradients and step for `epochs` epochs; return the final (w, b)."""
    # TODO: loop over the epochs: forward, gradients, step
    raise NotImplementedError("train")
