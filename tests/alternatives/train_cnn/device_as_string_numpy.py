"""Alternative: the device taken as a string and rebuilt, torch.inference_mode, a device accumulator
made with torch.zeros(..., device=...), predictions brought back with .to("cpu") and compared in NumPy.
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
    device = torch.device(str(device))
    model.train()
    running = torch.zeros((), device=device)
    steps = 0
    for inputs, targets in loader:
        inputs = inputs.to(device=device, dtype=torch.float32, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        for p in model.parameters():
            p.grad = None
        loss = nn.CrossEntropyLoss()(model(inputs), targets)
        loss.backward()
        optimizer.step()
        running += loss.detach()
        steps += 1
    return float(running) / steps


def evaluate(model: nn.Module, loader: Iterable, device) -> float:
    device = str(device)
    model.eval()
    hits, seen = 0, 0
    with torch.inference_mode():
        for inputs, targets in loader:
            scores = model(inputs.to(device))
            predicted = scores.argmax(1).to("cpu").numpy()
            hits += int((predicted == targets.numpy()).sum())
            seen += targets.shape[0]
    return hits / seen
