"""Layers with a hand-written backward pass (NumPy only).

A network is a chain of layers. In the forward pass each layer maps its input x to an output y
and keeps (caches) whatever it will need later. In the backward pass it receives grad_y = dL/dy,
the gradient of the loss with respect to its output, and returns grad_x = dL/dx, which becomes the
grad_y of the layer before it. A layer with parameters also stores dL/dW and dL/db. This is what
autograd does for you in torch; here you write it by hand.

Inputs are batches of shape (N, features), one sample per row.
  Linear:   y = x @ W + b, W of shape (in, out), b of shape (out,).
            grad_x = grad_y @ Wᵀ          (N, in)
            grad_W = xᵀ @ grad_y           (in, out): the same shape as W
            grad_b = sum of grad_y over the batch axis 0    (out,): every row used the same b
  ReLU:     y = max(x, 0);        grad_x = grad_y where x > 0, else 0
  Sigmoid:  y = 1 / (1 + e^-x);   grad_x = grad_y * y * (1 - y)   (y is the cached OUTPUT)
  Tanh:     y = tanh(x);          grad_x = grad_y * (1 - y²)
Activations work entry by entry, so their gradients are elementwise products, never matrix ones.

SoftmaxCrossEntropy takes logits z of shape (N, C) and integer targets t of shape (N,):
  loss = mean over the batch of -log softmax(z_i)[t_i] = mean(logsumexp(z_i) - z_i[t_i]),
  dloss/dz = (softmax(z) - onehot(t)) / N.
logsumexp(z) = m + log(sum(exp(z - m))) with m = max(z) stays finite for logits of ±1000, where
np.exp(1000) alone would overflow to inf.

Sequential chains layers: forward calls them first to last, backward last to first, and
parameters() lists (param, grad) pairs of every Linear, e.g. [(W1, grad_W1), (b1, grad_b1), ...]:
the arrays the layers hold at the moment it is called (layer.W, layer.grad_W, ... themselves, not
copies), so that an optimizer's in-place update `for p, g in model.parameters(): p -= lr * g`
changes the model.

Every Linear.backward SETS grad_W and grad_b to the current batch's gradients; it never adds to
the previous ones (`self.grad_W += ...` would sum the gradients of all batches so far). Assigning
new arrays is fine: `self.grad_W = x.T @ grad_y`. But then the gradient arrays are new objects
after every backward, and a list that parameters() returned earlier still holds the old ones, so
call parameters() after backward, at every step:

    loss = criterion.forward(model.forward(x), targets)
    model.backward(criterion.backward())
    for p, g in model.parameters():      # after backward: the current gradients
        p -= lr * g                      # in place: W stays the array the layer holds

(Writing the gradients in place instead, `self.grad_W[...] = x.T @ grad_y`, is also correct and
keeps older lists current; either way, what counts is that after each backward grad_W and grad_b
hold that batch's gradients and parameters() returns the arrays the layers hold.)

Worked example: Linear with W = [[1, 2], [3, 4]], b = [0, 0], x = [[1, 1]] → y = [[4, 6]].
With grad_y = [[1, 0]]: grad_x = [[1, 3]], grad_W = [[1, 0], [1, 0]], grad_b = [1, 0].
"""
from __future__ import annotations

import numpy as np


class Linear:
    """y = x @ W + b. W (in × out) and b (out,); grad_W and grad_b are set by backward."""

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator):
        bound = 1.0 / np.sqrt(in_features)  # the same uniform initialisation as torch.nn.Linear
        self.W = rng.uniform(-bound, bound, size=(in_features, out_features))
        self.b = rng.uniform(-bound, bound, size=out_features)
        self.grad_W = np.zeros_like(self.W)
        self.grad_b = np.zeros_like(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, in) -> y (N, out). Caches x for backward."""
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """grad_y (N, out) -> grad_x (N, in); sets grad_W (in, out) and grad_b (out,)."""
        self.grad_W = self.x.T @ grad_y
        self.grad_b = grad_y.sum(axis=0)
        return grad_y @ self.W.T


class ReLU:
    """y = max(x, 0), entry by entry."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y * self.mask


class Sigmoid:
    """y = 1 / (1 + e^-x), entry by entry."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))  # never overflows
        self.y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y * self.y * (1.0 - self.y)


class Tanh:
    """y = tanh(x), entry by entry."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y * (1.0 - self.y ** 2)


class SoftmaxCrossEntropy:
    """Softmax followed by the cross-entropy with integer class targets, averaged over the batch."""

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        """logits (N, C), targets (N,) class indices -> the mean loss, a Python float."""
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_probs = shifted - log_sum
        self.probs = np.exp(log_probs)
        self.targets = targets
        return float(-log_probs[np.arange(n), targets].mean())

    def backward(self) -> np.ndarray:
        """d loss / d logits, shape (N, C)."""
        n = self.probs.shape[0]
        grad = self.probs.copy()
        grad[np.arange(n), self.targets] -= 1.0
        return grad / n


class Sequential:
    """Layers applied one after another."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_y = layer.backward(grad_y)
        return grad_y

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(W, grad_W), (b, grad_b)] for every Linear, first layer first."""
        pairs = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                pairs.append((layer.W, layer.grad_W))
                pairs.append((layer.b, layer.grad_b))
        return pairs
