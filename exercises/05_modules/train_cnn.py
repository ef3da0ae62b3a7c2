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
        # TODO: build the layers, e.g. three blocks of Conv2d(3 x 3, padding=1) -> BatchNorm2d ->
        #       ReLU -> MaxPool2d(2) with 16, 32 and 64 channels, then AdaptiveAvgPool2d(1),
        #       Flatten and a Linear(64, num_classes). Assign them to attributes (nn.Sequential
        #       helps) so that their parameters are registered.
        raise NotImplementedError("SmallCNN.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: (N, 3, 32, 32) -> (N, num_classes) raw scores (no softmax).
        raise NotImplementedError("SmallCNN.forward")


def train_epoch(model: nn.Module, loader: Iterable, optimizer: torch.optim.Optimizer,
                device: torch.device) -> float:
    """One pass over `loader` (batches of (inputs, targets)); returns the mean batch loss."""
    # TODO: switch the model to training mode; then for each (inputs, targets) batch: move both
    #       to `device`, zero the gradients, compute F.cross_entropy(model(inputs), targets),
    #       backward, step, and keep loss.item(). Return the mean of those losses.
    raise NotImplementedError("train_epoch")


def evaluate(model: nn.Module, loader: Iterable, device: torch.device) -> float:
    """The fraction of samples in `loader` whose highest-scoring class is the target, in [0, 1]."""
    # TODO: switch the model to eval mode and, without recording history, count the batches'
    #       correct predictions (outputs.argmax(dim=1) == targets) after moving them to `device`.
    #       Return correct / number of samples as a Python float.
    raise NotImplementedError("evaluate")
