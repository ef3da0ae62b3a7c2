"""Training a small convolutional network: the model, one training epoch, and evaluation.

A CNN for 32 x 32 colour images (CIFAR-10 sized) stacks a few blocks of
Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d. Each block keeps the spatial size with a 3 x 3
convolution and padding 1, then halves it with the pooling:

    (N, 3, 32, 32) -> (N, 16, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4)
    -> AdaptiveAvgPool2d(1) and Flatten -> (N, 64) -> Linear -> (N, num_classes) raw scores (logits)

Keep it small: a network like this has about 25 thousand parameters and trains in seconds on a
CPU. No softmax at the end: `F.cross_entropy` takes the raw scores and applies log-softmax itself.

One epoch of training visits every batch of the loader once. For each batch:

    inputs, targets = inputs.to(device), targets.to(device)    # the data goes where the model is
    optimizer.zero_grad()           # gradients ADD UP in .grad: clear the previous batch's
    loss = F.cross_entropy(model(inputs), targets)
    loss.backward()                 # fills .grad of every parameter
    optimizer.step()                # moves the parameters against their gradients

Before the loop, `model.train()` switches layers that behave differently in training on:
Dropout drops units, BatchNorm normalises with the batch's own statistics and updates its
running averages. Return the mean of the batch losses (Python floats, via `loss.item()`).

Evaluation is the opposite: `model.eval()` (Dropout off, BatchNorm uses its running averages and
leaves them alone) and `torch.no_grad()` (no history recorded: faster, less memory). The accuracy
is the number of correct predictions over the number of samples, where the prediction is the
class with the highest score: `outputs.argmax(dim=1)`. Worked example: scores
[[2.0, 0.1], [0.3, 0.9], [1.0, 0.0]] predict [0, 1, 0]; with targets [0, 0, 0] the accuracy is
2 / 3.
"""
from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F
from torch import nn


class SmallCNN(nn.Module):
    """(N, 3, 32, 32) images -> (N, num_classes) raw class scores."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1),
                                 nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(3, 16), block(16, 32), block(32, 64))
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Dropout(0.1), nn.Linear(64, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def train_epoch(model: nn.Module, loader: Iterable, optimizer: torch.optim.Optimizer,
                device: torch.device) -> float:
    """One pass over `loader` (batches of (inputs, targets)); returns the mean batch loss."""
    model.train()
    losses = []
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def evaluate(model: nn.Module, loader: Iterable, device: torch.device) -> float:
    """The fraction of samples in `loader` whose highest-scoring class is the target, in [0, 1]."""
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            predictions = model(inputs).argmax(dim=1)
            correct += (predictions == targets).sum().item()
            total += targets.numel()
    return correct / total
