"""Alternative: the batches go wherever the model's parameters are (next(model.parameters()).device),
targets compared on the device, counts gathered with .tolist().
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
    model.to(device).train()
    where = next(model.parameters()).device
    losses = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs.to(where)), targets.to(where))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def evaluate(model: nn.Module, loader: Iterable, device: torch.device) -> float:
    model.eval()
    where = next(model.parameters()).device
    flags = []
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(where), targets.to(where)
            flags += model(inputs).argmax(dim=1).eq(targets).tolist()
    return sum(flags) / len(flags)
