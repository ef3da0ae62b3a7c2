"""The code the update_weights and chain_rule stubs give complete (sigmoid, feed_forward) must be right."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]
WORKED_W = [
    np.array([[-0.0053, 0.3793], [-0.5820, -0.5204], [-0.2723, 0.1896]], dtype=np.float32).T.copy(),
    np.array([-0.0140, 0.5607, -0.0628], dtype=np.float32),
    np.array([[0.1528, -0.1745, -0.1135]], dtype=np.float32).T.copy(),
    np.array([-0.5516], dtype=np.float32),
]


@pytest.fixture(params=[(folder, name) for name in ("update_weights", "chain_rule")
                        for folder in ("exercises", "solutions")], ids="/".join)
def module(request):
    folder, name = request.param
    return load(ROOT / folder / "02_from_scratch" / f"{name}.py")


def test_feed_forward_worked_setup(module):
    loss = module.feed_forward(np.array([[1.0, 1.0]], dtype=np.float32),
                               np.array([[0.0]], dtype=np.float32), WORKED_W)
    assert isinstance(loss, float)
    assert loss == pytest.approx(0.33455, abs=1e-5)


def test_feed_forward_is_the_mean_over_all_entries(module):
    g = np.random.default_rng(0)
    x, y = g.standard_normal((5, 3)), g.standard_normal((5, 2))
    w = [g.standard_normal((3, 4)), g.standard_normal(4), g.standard_normal((4, 2)), g.standard_normal(2)]
    hidden = 1.0 / (1.0 + np.exp(-(x @ w[0] + w[1])))
    assert module.feed_forward(x, y, w) == pytest.approx(np.mean((hidden @ w[2] + w[3] - y) ** 2))
    assert np.allclose(module.sigmoid(np.array([0.0, 2.0])), [0.5, 1 / (1 + np.exp(-2.0))])


TODOS = {"update_weights": lambda stub, x, y: stub.update_weights(x, y, WORKED_W, 0.01),
         "chain_rule": lambda stub, x, y: stub.backprop(x, y, WORKED_W)}


@pytest.mark.parametrize("name", sorted(TODOS))
def test_stub_todos_raise(name):
    stub = load(ROOT / "exercises" / "02_from_scratch" / f"{name}.py")
    x, y = np.ones((1, 2)), np.zeros((1, 1))
    with pytest.raises(NotImplementedError):
        TODOS[name](stub, x, y)
    with pytest.raises(NotImplementedError):
        stub.train(x, y, WORKED_W)
