"""Hidden checks for linear_regression_numpy: forward, mse, gradients, step, train."""
import numpy as np
import pytest

from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, check_float, rng
from grader.checks.isolate import on_reference, swapped

_mean, _sum, _abs, _sqrt, _array = np.mean, np.sum, np.abs, np.sqrt, np.array

SIZES = [1, 5, 17]
WORKED_X = _array([1, 2, 3, 4, 5], dtype=np.float32)
WORKED_Y = _array([6, 11, 16, 21, 26], dtype=np.float32)


def _data(n: int, seed: int):
    g = rng(seed)
    x = g.standard_normal(n).astype(np.float32)
    prediction = g.standard_normal(n).astype(np.float32)
    actual = g.standard_normal(n).astype(np.float32)
    return x, prediction, actual


def _float64(*arrays):
    return [a.astype(np.float64) for a in arrays]


def _two_floats(result, call, names):
    """The (a, b) pair that gradients, step and train return, as two Python floats."""
    if not isinstance(result, tuple) or len(result) != 2:
        length = f" of length {len(result)}" if hasattr(result, "__len__") else ""
        raise Feedback(f"{call} should return a tuple ({names[0]}, {names[1]}), "
                       f"got {type(result).__name__}{length}.")
    return [check_float(value, name) for value, name in zip(result, names)]


@pytest.mark.parametrize("n", SIZES)
def test_forward(sub, n):
    """forward(x, w, b) is w * x + b"""
    x, _, _ = _data(n, 10 + n)
    kept = x.copy()
    got = sub.forward(x, 1.5, -0.25)
    check_array(got, f"forward(x of shape ({n},), 1.5, -0.25)", shape=(n,), dtype="floating")
    assert_unchanged(kept, x, "x", mistake="updating x in place (x *= w) instead of computing a new array")
    assert_close(got, 1.5 * kept.astype(np.float64) - 0.25, "forward(x, 1.5, -0.25)", rtol=1e-5,
                 diagnose=[("w and b swapped (b * x + w)", -0.25 * kept + 1.5)])


@pytest.mark.parametrize("n", SIZES)
def test_mse(sub, n):
    """mse(prediction, actual) is the mean of the squared differences"""
    _, p, a = _data(n, 20 + n)
    p64, a64 = _float64(p, a)
    got = check_float(sub.mse(p, a), "mse(prediction, actual)")
    assert_close(got, _mean((p64 - a64) ** 2), f"mse on {n} samples", rtol=1e-5,
                 diagnose=[("summed over the samples instead of averaged", _sum((p64 - a64) ** 2)),
                           ("the errors are not squared", _mean(p64 - a64)),
                           ("absolute errors instead of squared ones", _mean(_abs(p64 - a64))),
                           ("the square root was taken (that is RMSE)", _sqrt(_mean((p64 - a64) ** 2)))])


def test_mse_worked_example(sub):
    """mse([1, 2, 3], [3, 5, 8]) is 38/3"""
    got = check_float(sub.mse(_array([1.0, 2.0, 3.0]), _array([3.0, 5.0, 8.0])), "mse([1, 2, 3], [3, 5, 8])")
    assert_close(got, 38.0 / 3, "mse([1, 2, 3], [3, 5, 8])", rtol=1e-6,
                 diagnose=[("summed over the samples instead of averaged", 38.0),
                           ("integer division (//) by N instead of true division", 12.0)])


@pytest.mark.points(2)
@pytest.mark.parametrize("n", SIZES)
def test_gradients(sub, n):
    """gradients(x, prediction, actual) are the averaged dL/dw and dL/db"""
    x, p, a = _data(n, 30 + n)
    x64, p64, a64 = _float64(x, p, a)
    dw, db = _two_floats(sub.gradients(x, p, a), "gradients", ("dw", "db"))
    error = p64 - a64
    want_dw, want_db = _mean(2 * x64 * error), _mean(2 * error)
    # With one sample the sum and the mean agree, so that case cannot tell them apart.
    common = [("a factor of 2 is missing (the derivative of the square)", want_dw / 2),
              ("sign error: (actual - prediction) instead of (prediction - actual)", -want_dw)]
    summed = [("dL/dw summed over the samples instead of averaged", _sum(2 * x64 * error))] if n > 1 else []
    assert_close(dw, want_dw, f"dw on {n} samples", rtol=1e-4, atol=1e-6, diagnose=summed + common,
                 hint="dL/dw = mean(2 * x * (prediction - actual))")
    assert_close(db, want_db, f"db on {n} samples", rtol=1e-4, atol=1e-6,
                 diagnose=([("dL/db summed over the samples instead of averaged", _sum(2 * error))] if n > 1 else [])
                 + [("a factor of 2 is missing (the derivative of the square)", want_db / 2),
                    ("sign error: (actual - prediction) instead of (prediction - actual)", -want_db)],
                 hint="dL/db = mean(2 * (prediction - actual))")


def test_gradients_worked_example(sub):
    """gradients([1, 2, 3], [1, 2, 3], [3, 5, 8]) is (-46/3, -20/3)"""
    got = _two_floats(sub.gradients(_array([1.0, 2.0, 3.0]), _array([1.0, 2.0, 3.0]), _array([3.0, 5.0, 8.0])),
                      "gradients", ("dw", "db"))
    assert_close(got, [-46.0 / 3, -20.0 / 3], "(dw, db)", rtol=1e-6,
                 diagnose=[("dL/dw summed over the samples instead of averaged", [-46.0, -20.0]),
                           ("a factor of 2 is missing (the derivative of the square)", [-23.0 / 3, -10.0 / 3]),
                           ("integer division (//) by N instead of true division", [-16.0, -7.0])])


@pytest.mark.parametrize("w, b, lr, dw, db", [(1.0, 0.0, 0.1, -46.0 / 3, -20.0 / 3), (-2.0, 3.0, 0.01, 4.5, -1.5)])
def test_step(sub, w, b, lr, dw, db):
    """step moves w and b against their gradients"""
    got = _two_floats(sub.step(w, b, lr, dw, db), "step", ("w", "b"))
    assert_close(got, [w - lr * dw, b - lr * db], f"step(w={w}, b={b}, lr={lr}, dw={dw}, db={db})", rtol=1e-6,
                 diagnose=[("sign error in the update: w + lr * dw moves up the slope", [w + lr * dw, b + lr * db]),
                           ("the learning rate is not applied", [w - dw, b - db])])


# --- train: judged on the reference forward, gradients and step, then as a whole ---------------

def _ref_forward(x, w, b):
    return w * _array(x, dtype=np.float64) + b


def _ref_mse(prediction, actual):
    return float(_mean((_array(prediction, dtype=np.float64) - actual) ** 2))


def _ref_gradients(x, prediction, actual):
    error = _array(prediction, dtype=np.float64) - actual
    return float(_mean(2 * x * error)), float(_mean(2 * error))


def _ref_step(w, b, lr, dw, db):
    return w - lr * dw, b - lr * db


def _train_on_reference(sub, *args, **kwargs):
    with swapped(sub, forward=_ref_forward, mse=_ref_mse, gradients=_ref_gradients, step=_ref_step):
        return sub.train(*args, **kwargs)


ON_REFERENCE = "forward, gradients and step"


@pytest.mark.points(2)
def test_train_follows_gradient_descent(sub):
    """train (on the reference forward, gradients and step) from a given start, with a given lr, follows plain gradient descent"""
    x, y = WORKED_X.astype(np.float64), WORKED_Y.astype(np.float64)
    # lr differs from the default 0.01, so that a train that ignores its lr argument is seen
    result = _train_on_reference(sub, x.copy(), y.copy(), w=2.0, b=-1.0, lr=0.02, epochs=7)
    got = _two_floats(result, "train", ("w", "b"))
    assert_close(got, _descent(x, y, 2.0, -1.0, 0.02, 7),
                 on_reference("train(x, y, w=2, b=-1, lr=0.02, epochs=7)", ON_REFERENCE),
                 rtol=1e-4,
                 diagnose=[("train ignores the starting w and b it is given",
                            _descent(x, y, 0.0, 0.0, 0.02, 7)),
                           ("train ignores its lr argument (it stepped with 0.01); pass lr on to step",
                            _descent(x, y, 2.0, -1.0, 0.01, 7))],
                 hint="start from the given w and b and take exactly `epochs` steps of size lr")


def _descent(x, y, w, b, lr, epochs):
    """The oracle: plain gradient descent on the mean squared error, float64."""
    for _ in range(epochs):
        error = w * x + b - y
        w, b = w - lr * _mean(2 * x * error), b - lr * _mean(2 * error)
    return [w, b]


@pytest.mark.points(3)
def test_train_finds_the_line(sub):
    """The whole pipeline: train with your own forward, gradients and step finds w ≈ 5, b ≈ 1 on the worked data"""
    x, y = WORKED_X.copy(), WORKED_Y.copy()
    result = sub.train(x, y)
    assert_unchanged(WORKED_X, x, "x", mistake="train modified the caller's data")
    assert_unchanged(WORKED_Y, y, "y", mistake="train modified the caller's data")
    try:
        w, b = _two_floats(result, "train(x, y) with your own forward, gradients and step", ("w", "b"))
        assert_close([w, b], [5.0, 1.0], "train(x, y) -> (w, b), with your own forward, gradients and step",
                     rtol=0, atol=0.05,
                     hint="check the sign of the update and that every epoch uses fresh predictions")
    except Feedback as feedback:
        raise Feedback(f"{feedback}\nWhere to look: if train passes its check on the reference "
                       f"{ON_REFERENCE}, the mistake is in one of those (their own checks say "
                       "which).") from None
