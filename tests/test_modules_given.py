"""The code the modules stub gives complete (square calls Square.apply) must be right, and the
same in the stub and in the solution."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["exercises", "solutions"])
def module(request):
    return load(ROOT / request.param / "05_modules" / "modules.py")


def test_square_goes_through_the_square_function(module, monkeypatch):
    calls = []

    class Recording(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            calls.append(x)
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    monkeypatch.setattr(module, "Square", Recording)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = module.square(x)
    assert len(calls) == 1 and torch.equal(y.detach(), torch.tensor([3.0, 6.0]))
    assert type(y.grad_fn).__name__ == "RecordingBackward"
