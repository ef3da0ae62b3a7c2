"""The code the manual_backward stub gives complete (Linear.__init__, Sequential.__init__) must be right
before the learner starts, and the same in the stub and the solution."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["exercises", "solutions"])
def module(request):
    return load(ROOT / request.param / "02_from_scratch" / "manual_backward.py")


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 5), (64, 10)])
def test_linear_init_shapes_and_bounds(module, n_in, n_out):
    layer = module.Linear(n_in, n_out, np.random.default_rng(0))
    assert layer.W.shape == (n_in, n_out) and layer.b.shape == (n_out,)
    assert layer.W.dtype == np.float64 and layer.b.dtype == np.float64
    bound = 1.0 / np.sqrt(n_in)
    assert np.all(np.abs(layer.W) <= bound) and np.all(np.abs(layer.b) <= bound)
    assert layer.grad_W.shape == layer.W.shape and not layer.grad_W.any()
    assert layer.grad_b.shape == layer.b.shape and not layer.grad_b.any()


def test_linear_init_uses_the_given_generator(module):
    a = module.Linear(4, 3, np.random.default_rng(7))
    b = module.Linear(4, 3, np.random.default_rng(7))
    c = module.Linear(4, 3, np.random.default_rng(8))
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
    assert not np.array_equal(a.W, c.W)


def test_linear_init_draws_nothing_from_the_global_generator(module):
    np.random.seed(3)
    expected = np.random.random()
    np.random.seed(3)
    module.Linear(5, 2, np.random.default_rng(0))
    assert np.random.random() == expected


def test_sequential_keeps_its_layers_in_order(module):
    relu, tanh = module.ReLU(), module.Tanh()
    model = module.Sequential(relu, tanh)
    assert model.layers == [relu, tanh]


def test_stub_and_solution_give_the_same_init():
    stub = load(ROOT / "exercises" / "02_from_scratch" / "manual_backward.py")
    solution = load(ROOT / "solutions" / "02_from_scratch" / "manual_backward.py")
    a = stub.Linear(6, 4, np.random.default_rng(1))
    b = solution.Linear(6, 4, np.random.default_rng(1))
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
