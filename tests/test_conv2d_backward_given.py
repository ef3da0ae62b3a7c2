"""The code the conv2d_backward stub gives complete (the forward conv2d) must be right, and the
same in the stub and in the solution."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]

# (N, C_in, H, W, C_out, kH, kW, stride, padding, with_bias)
CONFIGS = [
    (1, 1, 3, 3, 1, 2, 2, 1, 0, False),
    (2, 3, 7, 9, 4, 3, 2, 2, 1, True),
    (3, 2, 8, 6, 5, 2, 3, 3, 2, False),
    (1, 4, 6, 10, 2, 1, 1, 1, 0, True),
]


@pytest.fixture(params=["exercises", "solutions"])
def module(request):
    return load(ROOT / request.param / "04_conv" / "conv2d_backward.py")


@pytest.mark.parametrize("config", CONFIGS)
def test_given_conv2d_matches_torch(module, config):
    n, c_in, h, w, c_out, kh, kw, s, p, with_bias = config
    g = torch.Generator().manual_seed(sum(config[:9]))
    x = torch.randn(n, c_in, h, w, generator=g)
    weight = torch.randn(c_out, c_in, kh, kw, generator=g)
    bias = torch.randn(c_out, generator=g) if with_bias else None
    got = module.conv2d(x, weight, bias, s, p)
    torch.testing.assert_close(got, F.conv2d(x, weight, bias, stride=s, padding=p), rtol=1e-5, atol=1e-5)


def test_given_conv2d_worked_example(module):
    x = torch.arange(1.0, 10.0).view(1, 1, 3, 3)
    weight = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert module.conv2d(x, weight).tolist() == [[[[37.0, 47.0], [67.0, 77.0]]]]


def test_given_conv2d_is_the_same_in_stub_and_solution():
    import inspect
    stub = load(ROOT / "exercises" / "04_conv" / "conv2d_backward.py")
    solution = load(ROOT / "solutions" / "04_conv" / "conv2d_backward.py")
    assert inspect.getsource(stub.conv2d) == inspect.getsource(solution.conv2d)
