"""The code the boxes stub gives complete (box_area, DETECTORS) must be right."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torchvision.models import detection

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["exercises", "solutions"])
def module(request):
    return load(ROOT / request.param / "07_detection" / "boxes.py")


def test_box_area(module):
    boxes = torch.tensor([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 1.0, 5.0], [0.5, 0.5, 1.0, 2.5]])
    assert torch.equal(module.box_area(boxes), torch.tensor([6.0, 0.0, 1.0]))
    assert module.box_area(torch.zeros((0, 4))).shape == (0,)


def test_detector_names_are_torchvision_builders(module):
    assert len(module.DETECTORS) == 7 and len(set(module.DETECTORS)) == 7
    for name in module.DETECTORS:
        assert callable(getattr(detection, name))
