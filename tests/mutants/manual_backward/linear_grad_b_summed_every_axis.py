"""Wrong on purpose: Linear.backward sums the bias gradient over every axis (grad_y.sum()), a single number.

expect: you summed over every axis
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
        self.grad_b = grad_y.sum()
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
