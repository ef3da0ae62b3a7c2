"""A correct alternative: explicit Python loops over the batch, entries and classes."""
from __future__ import annotations

import math

import numpy as np


class Linear:
    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator):
        bound = 1.0 / np.sqrt(in_features)
        self.W = rng.uniform(-bound, bound, size=(in_features, out_features))
        self.b = rng.uniform(-bound, bound, size=out_features)
        self.grad_W = np.zeros_like(self.W)
        self.grad_b = np.zeros_like(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        n, (n_in, n_out) = x.shape[0], self.W.shape
        y = np.zeros((n, n_out))
        for s in range(n):
            for o in range(n_out):
                y[s, o] = self.b[o] + sum(x[s, i] * self.W[i, o] for i in range(n_in))
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        n, (n_in, n_out) = grad_y.shape[0], self.W.shape
        grad_W = np.zeros((n_in, n_out))
        grad_b = np.zeros(n_out)
        grad_x = np.zeros((n, n_in))
        for s in range(n):
            for o in range(n_out):
                grad_b[o] += grad_y[s, o]
                for i in range(n_in):
                    grad_W[i, o] += self.x[s, i] * grad_y[s, o]
                    grad_x[s, i] += grad_y[s, o] * self.W[i, o]
        self.grad_W, self.grad_b = grad_W, grad_b
        return grad_x


class _Elementwise:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.vectorize(self.f, otypes=[float])(x)
        return self.y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        out = np.empty(grad_y.shape)
        for index, g in np.ndenumerate(grad_y):
            out[index] = g * self.df(self.y[index])
        return out


class ReLU(_Elementwise):
    f = staticmethod(lambda v: v if v > 0 else 0.0)
    df = staticmethod(lambda y: 1.0 if y > 0 else 0.0)


class Sigmoid(_Elementwise):
    f = staticmethod(lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)))
    df = staticmethod(lambda y: y * (1 - y))


class Tanh(_Elementwise):
    f = staticmethod(math.tanh)
    df = staticmethod(lambda y: 1 - y * y)


class SoftmaxCrossEntropy:
    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        n, c = logits.shape
        self.probs = np.zeros((n, c))
        self.targets = [int(t) for t in targets]
        total = 0.0
        for s in range(n):
            m = max(logits[s])
            lse = m + math.log(sum(math.exp(v - m) for v in logits[s]))
            for k in range(c):
                self.probs[s, k] = math.exp(logits[s, k] - lse)
            total += lse - logits[s, self.targets[s]]
        return total / n

    def backward(self) -> np.ndarray:
        n, c = self.probs.shape
        grad = np.zeros((n, c))
        for s in range(n):
            for k in range(c):
                grad[s, k] = (self.probs[s, k] - (1.0 if k == self.targets[s] else 0.0)) / n
        return grad


class Sequential:
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_y):
        for i in range(len(self.layers) - 1, -1, -1):
            grad_y = self.layers[i].backward(grad_y)
        return grad_y

    def parameters(self):
        pairs = []
        for layer in self.layers:
            if isinstance(layer, Linear):
                pairs.extend([(layer.W, layer.grad_W), (layer.b, layer.grad_b)])
        return pairs
