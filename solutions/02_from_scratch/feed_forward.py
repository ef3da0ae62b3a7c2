"""A feed-forward network: its prediction and its loss.

A network with one hidden layer turns a batch of inputs into predictions in two steps. With
`inputs` of shape (N, d_in), one row per sample, and
`weights = [W_h (d_in, h), b_h (h,), W_o (h, d_out), b_o (d_out,)]`:

    hidden     = sigmoid(inputs @ W_h + b_h)       shape (N, h)
    prediction = hidden @ W_o + b_o                shape (N, d_out)

where sigmoid(z) = 1 / (1 + exp(-z)) acts on every entry. The bias vectors are added to every
row (NumPy broadcasting does this for you). The hidden layer is squashed by the sigmoid; the
output layer is linear: no sigmoid there, so predictions can be any real number.

The loss is the mean squared error over ALL N * d_out entries of the prediction:

    loss = mean((prediction - outputs) ** 2)

Worked example (d_in = 2, h = 3, d_out = 1, N = 1): inputs = [[1, 1]], outputs = [[0]],

    W_h = [[-0.0053, -0.5820, -0.2723],      b_h = [-0.0140, 0.5607, -0.0628]
           [ 0.3793, -0.5204,  0.1896]]
    W_o = [[0.1528], [-0.1745], [-0.1135]]   b_o = [-0.5516]

    inputs @ W_h + b_h = [[0.36, -0.5417, -0.1455]]
    hidden             = [[0.5890, 0.3678, 0.4637]]
    prediction         = [[-0.5784]]
    loss               = (-0.5784 - 0) ** 2 = 0.3346
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
    hidden = sigmoid(inputs @ W_h + b_h)
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
