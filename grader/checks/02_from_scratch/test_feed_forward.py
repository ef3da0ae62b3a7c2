"""Hidden checks for `feed_forward`: a one-hidden-layer network's prediction and its MSE loss.

Oracle: the same network written with torch in float64 (the learner's file is NumPy only), and
the worked numbers of docs/curriculum.md.
"""
import numpy as np
import pytest
import torch

from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, check_float
from grader.checks.network import (
    LABELS, WORKED_X, WORKED_Y, WORKED_W, make_problem, copies, tensor64,
)


# (d_in, h, d_out, N): batch of 1 included, several output widths.
SHAPES = [(2, 3, 1, 1), (3, 4, 2, 1), (4, 8, 3, 5), (1, 2, 1, 7), (5, 6, 4, 16)]
TOL = dict(rtol=1e-4, atol=1e-6)


def oracle(x, y, weights):
    """Every value a check compares with, correct and wrong (for naming mistakes), in float64."""
    with torch.no_grad():
        x, y = tensor64(x), tensor64(y)
        W_h, b_h, W_o, b_o = (tensor64(w) for w in weights)
        z = x @ W_h + b_h
        hidden = torch.sigmoid(z)
        p = hidden @ W_o + b_o
        d = p - y
        n, d_out = d.shape
        out = {
            "prediction": p,
            "loss": torch.mean(d ** 2),
            "wrong_predictions": [
                ("applied the sigmoid to the output layer too; the output layer is linear",
                 torch.sigmoid(p)),
                ("forgot the hidden bias b_h", torch.sigmoid(x @ W_h) @ W_o + b_o),
                ("forgot the output bias b_o", hidden @ W_o),
                ("forgot both biases", torch.sigmoid(x @ W_h) @ W_o),
                ("forgot the sigmoid on the hidden layer", z @ W_o + b_o),
                ("sign error in the sigmoid: it is 1 / (1 + exp(-z))", torch.sigmoid(-z) @ W_o + b_o),
                ("used tanh instead of the sigmoid", torch.tanh(z) @ W_o + b_o),
            ],
        }
        wrong_losses = [
            ("summed the squared errors instead of averaging them", torch.sum(d ** 2)),
            ("averaged over the batch only (summed over the outputs); the mean is over all "
             "N * d_out entries", torch.sum(d ** 2) / n),
            ("averaged over the outputs only; the mean is over all N * d_out entries",
             torch.sum(d ** 2) / d_out),
            ("took the square root (that is the RMSE, not the MSE)", torch.sqrt(torch.mean(d ** 2))),
            ("forgot to square the differences", torch.mean(d)),
            ("took absolute values instead of squares (that is the MAE)", torch.mean(torch.abs(d))),
            ("halved the mean; this loss has no factor 1/2", torch.mean(d ** 2) / 2),
        ]
        for mistake, wrong_p in out["wrong_predictions"]:
            wrong_losses.append((mistake, torch.mean((wrong_p - y) ** 2)))
        out["wrong_losses"] = wrong_losses
        return out


def _distinct(diagnose, expected, rtol=1e-4, atol=1e-6):
    """Keep only the wrong results that differ from the right one (e.g. N = 1 hides some)."""
    kept = []
    for mistake, wrong in diagnose:
        if wrong.shape != expected.shape or not bool(torch.isclose(wrong, expected, rtol=rtol, atol=atol).all()):
            kept.append((mistake, wrong))
    return kept


# --- predict -------------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_predict_worked_example(sub):
    """predict on the worked example: inputs [[1, 1]], float32 weights of docs/curriculum.md."""
    x, y, weights = copies(WORKED_X, WORKED_Y, WORKED_W)
    got = sub.predict(x, weights)
    check_array(got, "predict(inputs, weights)", shape=(1, 1), dtype="floating")
    ref = oracle(WORKED_X, WORKED_Y, WORKED_W)
    assert_close(got, ref["prediction"], "predict(inputs, weights) on the worked example", **TOL,
                 diagnose=_distinct(ref["wrong_predictions"], ref["prediction"]),
                 hint="hidden = sigmoid(inputs @ W_h + b_h), prediction = hidden @ W_o + b_o "
                      f"(about {float(ref['prediction'][0, 0]):.4f} here).")


@pytest.mark.points(2)
@pytest.mark.parametrize("d_in, h, d_out, n", SHAPES)
def test_predict_random_shapes(sub, d_in, h, d_out, n):
    """predict on seeded random networks of several sizes (batch of 1 included)."""
    x, y, weights = make_problem(d_in, h, d_out, n, seed=100 + 7 * d_in + 3 * h + n)
    got = sub.predict(*copies(x, y, weights)[::2])
    name = f"predict(inputs, weights) with d_in={d_in}, h={h}, d_out={d_out}, N={n}"
    if isinstance(got, np.ndarray) and got.shape == (n, h) and h != d_out:
        raise Feedback(f"{name} has shape {got.shape}, expected ({n}, {d_out}): that is the hidden "
                       "layer's shape. Likely mistake: forgot the output layer hidden @ W_o + b_o.")
    check_array(got, name, shape=(n, d_out), dtype="floating")
    ref = oracle(x, y, weights)
    assert_close(got, ref["prediction"], name, **TOL,
                 diagnose=_distinct(ref["wrong_predictions"], ref["prediction"]),
                 hint="hidden = sigmoid(inputs @ W_h + b_h) of shape (N, h), then "
                      "prediction = hidden @ W_o + b_o of shape (N, d_out).")


# --- feed_forward --------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_feed_forward_worked_example(sub):
    """feed_forward on the worked example: the loss is about 0.3346."""
    x, y, weights = copies(WORKED_X, WORKED_Y, WORKED_W)
    got = check_float(sub.feed_forward(x, y, weights), "feed_forward(inputs, outputs, weights)")
    ref = oracle(WORKED_X, WORKED_Y, WORKED_W)
    assert_close(got, ref["loss"], "feed_forward(inputs, outputs, weights) on the worked example",
                 **TOL, diagnose=_distinct(ref["wrong_losses"], ref["loss"]),
                 hint=f"the loss is mean((prediction - outputs) ** 2), about {float(ref['loss']):.5f} here.")


@pytest.mark.points(2)
@pytest.mark.parametrize("d_in, h, d_out, n", SHAPES)
def test_feed_forward_random_shapes(sub, d_in, h, d_out, n):
    """feed_forward on seeded random networks: the mean over all N * d_out entries."""
    x, y, weights = make_problem(d_in, h, d_out, n, seed=200 + 7 * d_in + 3 * h + n)
    name = f"feed_forward(inputs, outputs, weights) with d_in={d_in}, h={h}, d_out={d_out}, N={n}"
    got = check_float(sub.feed_forward(*copies(x, y, weights)), name)
    ref = oracle(x, y, weights)
    assert_close(got, ref["loss"], name, **TOL,
                 diagnose=_distinct(ref["wrong_losses"], ref["loss"]),
                 hint="the loss is np.mean((prediction - outputs) ** 2): one mean over every entry.")


@pytest.mark.points(1)
def test_arguments_unchanged(sub):
    """predict and feed_forward leave the caller's inputs, outputs and weights unchanged."""
    x, y, weights = make_problem(3, 5, 2, 4, seed=300)
    x2, y2, w2 = copies(x, y, weights)
    sub.predict(x2, w2)
    sub.feed_forward(x2, y2, w2)
    mistake = ("an in-place operation (+=, -=, out=...) on an argument; compute new arrays "
               "instead, e.g. diff = prediction - outputs")
    assert_unchanged(x, x2, "inputs", mistake=mistake)
    assert_unchanged(y, y2, "outputs", mistake=mistake)
    for label, before, after in zip(LABELS, weights, w2):
        assert_unchanged(before, after, f"weights ({label})", mistake=mistake)
