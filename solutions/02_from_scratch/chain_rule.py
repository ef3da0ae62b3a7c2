"""Backpropagation: exact gradients by the chain rule.

`update_weights` estimated each gradient by nudging one weight at a time: one extra forward pass
per weight, so millions of passes for a real network. Backpropagation gets ALL the exact
gradients from one forward and one backward pass, by applying the chain rule layer by layer,
from the loss back to the inputs, for the whole batch at once (matrix products, no loops).

The network and its loss (N samples, d_in inputs, h hidden units, d_out outputs):

    z          = inputs @ W_h + b_h          (N, h)      the hidden pre-activation
    hidden     = sigmoid(z)                  (N, h)      the hidden activation
    prediction = hidden @ W_o + b_o          (N, d_out)
    loss       = mean((prediction - outputs) ** 2)       over all N * d_out entries

Three rules are all you need. Write dX for dloss/dX; it always has the shape of X.

1. The mean: d prediction = 2 * (prediction - outputs) / (N * d_out).
2. A linear layer Y = A @ W + b, given dY (N, out):
       dW = A.T @ dY    (in, out)       db = dY.sum(axis=0)    (out,)    dA = dY @ W.T    (N, in)
   (the bias is added to every sample's row, so its gradient sums over the batch axis 0).
3. The sigmoid, entry by entry: sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z)), i.e. in terms of
   the ACTIVATION: d z = d hidden * hidden * (1 - hidden).

Apply rule 1, then rule 2 to the output layer (A = hidden), rule 3, and rule 2 again to the hidden
layer (A = inputs).

Worked example (the setup of `feed_forward`: inputs [[1, 1]], outputs [[0]], prediction -0.5784,
hidden [0.5890, 0.3678, 0.4637]): d prediction = 2 * (-0.5784) / 1 = -1.1568, so
d b_o = [-1.1568] and d W_o = hidden.T @ [[-1.1568]] = [[-0.6814], [-0.4255], [-0.5364]].
Going on: d b_h = [-0.0428, 0.0469, 0.0327], and both rows of d W_h equal d b_h (the inputs are 1).

`train` is gradient descent with these gradients: new = old - lr * gradient, epoch after epoch.
It follows the same path as `update_weights.train`, up to the finite-difference error, and it is
thousands of times faster on a real network.

`feed_forward` (the network's loss) is given below, complete.
"""
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
    d_b_o = d_prediction.sum(axis=0)                                # (d_out,)
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
