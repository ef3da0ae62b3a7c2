"""Hidden checks for mlp_forward: sigmoid, softmax, binary cross-entropy and the forward pass.

Oracles: torch (float64) for sigmoid, softmax and binary cross-entropy, and the worked numbers of
the exercise. The learner's file is NumPy only; the checks may use torch.
"""
import numpy as np
import pytest

from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, check_float, rng

from torch import add as _t_add
from torch import from_numpy as _t_from_numpy
from torch import matmul as _t_matmul
from torch import sigmoid as _t_sigmoid
from torch import softmax as _t_softmax
from torch.nn.functional import binary_cross_entropy as _t_bce


RTOL, ATOL = 1e-5, 1e-6


# --- oracles --------------------------------------------------------------------------------------

def _t(a):
    return _t_from_numpy(np.array(a, dtype=np.float64))


def _n(t):
    return t.detach().numpy().copy()


def ref_sigmoid(z):
    return _n(_t_sigmoid(_t(z)))


def ref_softmax(z, axis=-1):
    return _n(_t_softmax(_t(z), dim=axis))


def ref_softmax_all(z):
    flat = _t(z).reshape(-1)
    return _n(_t_softmax(flat, dim=0).reshape(np.array(z).shape))


def ref_bce(y_hat, y):
    return float(_t_bce(_t(y_hat), _t(y)).item())


def ref_forward(x, params, *, output="softmax", transpose=True, softmax_axis=-1, bias=True):
    """The oracle forward pass, or one with a known mistake (for naming the mistake)."""
    out = {}
    h = _t(x)
    for i, (W, b) in enumerate(params, start=1):
        Wt = _t(W)
        a = _t_matmul(h, Wt.T if transpose else Wt)
        if bias:
            a = _t_add(a, _t(b))
        last = i == len(params)
        if last and output == "softmax":
            h = _t_softmax(a, dim=softmax_axis)
        else:
            h = _t_sigmoid(a)
        out[f"a{i}"], out[f"h{i}"] = _n(a), _n(h)
    return out


# --- inputs ---------------------------------------------------------------------------------------

def make_params(sizes, seed, scale=1.0):
    g = rng(seed)
    return [(g.standard_normal((o, i)) * scale, g.standard_normal(o) * 0.5)
            for i, o in zip(sizes[:-1], sizes[1:])]


def worked_example():
    x = np.array([1.5, 2.5, 3.0])
    params = [
        (np.full((3, 3), 0.05), np.array([0.01, 0.02, 0.03])),
        (np.full((3, 3), 0.025), np.array([0.01, 0.02, 0.03])),
        (np.full((2, 3), 1.0), np.array([0.01, 0.02])),
    ]
    return x, params


def copy_params(params):
    return [(np.copy(W), np.copy(b)) for W, b in params]


def call_forward(sub, x, params):
    try:
        return sub.forward(x, params)
    except ValueError as exc:  # shape mismatch in a matrix product, most likely
        raise Feedback(
            f"forward(x, params) raised ValueError: {exc}\n"
            "Likely mistake: the matrix product. W_i has shape (out, in), so a_i = W_i h + b_i; "
            "for a vector or a batch of rows that is h @ W_i.T + b_i (not h @ W_i).") from None


def check_forward(sub, x, params, context):
    name = "forward(x, params)"
    got = call_forward(sub, np.copy(x), copy_params(params))
    want = ref_forward(x, params)     # the oracle runs after the learner's call has returned
    if not isinstance(got, dict):
        raise Feedback(f"{name} should return a dict {{'a1': ..., 'h1': ..., ...}}, got {type(got).__name__}.")
    missing = [k for k in want if k not in got]
    if missing:
        raise Feedback(f"{name} returned keys {sorted(got)}; missing {missing}. Expected one 'a<i>' and "
                       f"one 'h<i>' per layer, i = 1..{len(params)}.")
    wrongs = {
        "sigmoid at the output layer instead of softmax": ref_forward(x, params, output="sigmoid"),
        "softmax over the wrong axis (over the batch instead of over each sample's scores)":
            ref_forward(x, params, softmax_axis=0),
        "forgot to add the bias b_i": ref_forward(x, params, bias=False),
    }
    if all(W.shape[0] == W.shape[1] for W, _ in params):
        wrongs["multiplied by W instead of W transposed (h @ W instead of h @ W.T)"] = \
            ref_forward(x, params, transpose=False)
    last = f"a{len(params)}"
    shifted = want[last] - want[last].max(axis=-1, keepdims=True)
    for key, value in want.items():
        label = f'{name}["{key}"] ({context})'
        diagnose = [(m, w[key]) for m, w in wrongs.items()]
        if key == last:
            diagnose.append(("your softmax changed its input in place (z -= z.max(...)), and that "
                             f"input is the {key} you return", shifted))
        check_array(got[key], label, shape=value.shape, dtype="floating")
        assert_close(got[key], value, label, rtol=RTOL, atol=ATOL, diagnose=diagnose,
                     hint="a_i = W_i h_{i-1} + b_i (h @ W_i.T + b_i), h_i = sigmoid(a_i), "
                          "and softmax only at the last layer.")
    return got


# --- sigmoid --------------------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("shape, seed", [((5,), 1), ((1, 4), 2), ((3, 4), 3)],
                         ids=["vector", "batch-of-1", "batch-of-3"])
def test_sigmoid(sub, shape, seed):
    """sigmoid(z) on seeded inputs of several shapes."""
    z = rng(seed).standard_normal(shape) * 3
    before = np.copy(z)
    got = sub.sigmoid(z)
    check_array(got, "sigmoid(z)", shape=shape, dtype="floating")
    assert_unchanged(before, z, "z", mistake="an in-place operation on the input (z *= -1, ...)")
    want = ref_sigmoid(before)
    assert_close(got, want, "sigmoid(z)", rtol=RTOL, atol=ATOL,
                 diagnose=[("the sign of the exponent is flipped: 1 / (1 + e^{z})", 1 - want)],
                 hint="sigmoid(z) = 1 / (1 + np.exp(-z)).")


@pytest.mark.points(1)
def test_sigmoid_large_inputs(sub):
    """sigmoid(z) saturates to 0 and 1 for z = ±1000 without nan."""
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    got = sub.sigmoid(np.copy(z))
    check_array(got, "sigmoid(z)", shape=z.shape, dtype="floating")
    assert_close(got, ref_sigmoid(z), "sigmoid([[-1000, -50, 0, 50, 1000]])", rtol=RTOL, atol=ATOL,
                 hint="sigmoid(-1000) is 0 and sigmoid(1000) is 1; avoid dividing inf by inf.")


# --- softmax --------------------------------------------------------------------------------------

SOFTMAX_SHAPES = [((4,), 11), ((1, 5), 12), ((6, 3), 13), ((2, 3, 4), 14)]


@pytest.mark.points(2)
@pytest.mark.parametrize("shape, seed", SOFTMAX_SHAPES, ids=["vector", "batch-of-1", "batch-of-6", "3-d"])
def test_softmax(sub, shape, seed):
    """softmax(z) over the last axis, on seeded inputs of several shapes."""
    z = rng(seed).standard_normal(shape) * 2
    before = np.copy(z)
    got = sub.softmax(z)
    check_array(got, "softmax(z)", shape=shape, dtype="floating")
    assert_unchanged(before, z, "The input z",
                     mistake="subtracting the maximum in place (z -= z.max(...)); "
                             "write shifted = z - z.max(...) instead")
    diagnose = [("sigmoid instead of softmax", ref_sigmoid(before))]
    if len(shape) > 1:
        diagnose.insert(0, ("softmax over the wrong axis: normalise each sample's scores, "
                            "the last axis (axis=-1), not axis=0", ref_softmax(before, axis=0)))
    if len(shape) > 2:
        diagnose.insert(1, ("softmax over the wrong axis: use the last axis (axis=-1), not axis=1",
                            ref_softmax(before, axis=1)))
    if len(shape) > 1:
        diagnose.append(("softmax over the whole array instead of over each row: pass axis=-1 "
                         "(and keepdims=True) to max and sum", ref_softmax_all(before)))
    assert_close(got, ref_softmax(before), "softmax(z)", rtol=RTOL, atol=ATOL, diagnose=diagnose,
                 hint="softmax(z) = exp(z - max) / sum(exp(z - max)), max and sum over axis=-1 "
                      "with keepdims=True.")


@pytest.mark.points(2)
@pytest.mark.parametrize("z", [
    [1000.0, 999.0, -1000.0],
    [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 1000.0]],
], ids=["vector", "batch"])
def test_softmax_large_logits(sub, z):
    """softmax(z) is finite and correct for logits of ±1000."""
    z = np.array(z)
    got = sub.softmax(np.copy(z))
    check_array(got, "softmax(z)", shape=z.shape, dtype="floating")
    if not bool(np.isfinite(got).all()):
        raise Feedback(
            f"softmax(z) returned nan or inf for logits like ±1000: {got.tolist()}.\n"
            "Likely mistake: no max-subtraction. np.exp(1000) overflows to inf; subtract each row's "
            "maximum first: softmax(z) = softmax(z - z.max(axis=-1, keepdims=True)).")
    assert_close(got, ref_softmax(z), "softmax(z) with logits of ±1000", rtol=RTOL, atol=ATOL,
                 hint="subtract each row's maximum (axis=-1, keepdims=True) before np.exp.")


# --- binary cross-entropy -------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("shape, seed", [((5,), 21), ((1, 1), 22), ((4, 3), 23), ((8,), 24)],
                         ids=["vector-of-5", "one-entry", "matrix-4x3", "vector-of-8"])
def test_binary_cross_entropy(sub, shape, seed):
    """binary_cross_entropy(y_hat, y) on seeded probabilities and 0/1 targets."""
    g = rng(seed)
    y_hat = g.uniform(0.05, 0.95, shape)
    y = (g.uniform(0, 1, shape) < 0.5).astype(np.float64)
    got = check_float(sub.binary_cross_entropy(np.copy(y_hat), np.copy(y)), "binary_cross_entropy(y_hat, y)")
    want = ref_bce(y_hat, y)          # the oracle runs after the learner's call has returned
    terms = -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
    diagnose = [
        ("summed over the entries instead of averaged (use the mean)", terms.sum()),
        ("a missing minus sign: the loss is -mean(...)", -want),
        ("the (1 - y) * log(1 - y_hat) term is missing", -(y * np.log(y_hat)).mean()),
    ]
    if len(shape) > 1 and shape[-1] > 1:
        diagnose.append(("averaged over the rows only (summed over the last axis): "
                         "average over all entries", terms.sum(axis=-1).mean()))
    assert_close(got, want, "binary_cross_entropy(y_hat, y)", rtol=RTOL, atol=ATOL,
                 diagnose=diagnose,
                 hint="-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)).")


@pytest.mark.points(1)
def test_binary_cross_entropy_worked_example(sub):
    """binary_cross_entropy([0.4975, 0.5025], [1, 0]) ≈ 0.698 (the worked example)."""
    y_hat, y = np.array([0.49750002, 0.50249998]), np.array([1.0, 0.0])
    got = check_float(sub.binary_cross_entropy(np.copy(y_hat), np.copy(y)), "binary_cross_entropy(h3, y)")
    want = ref_bce(y_hat, y)
    assert_close(got, want, "binary_cross_entropy(h3, y) for h3 = [0.4975, 0.5025], y = [1, 0]",
                 rtol=1e-4, atol=1e-6,
                 diagnose=[("summed over the entries instead of averaged (use the mean)", 2 * want),
                           ("a missing minus sign: the loss is -mean(...)", -want)],
                 hint="-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)).")


# --- forward --------------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_forward_worked_example(sub):
    """forward on the worked example: a1 = [0.36, 0.37, 0.38], h1 ≈ [0.589, 0.591, 0.594], h3 ≈ [0.4975, 0.5025]."""
    x, params = worked_example()
    got = call_forward(sub, np.copy(x), copy_params(params))
    if not isinstance(got, dict):
        raise Feedback(f"forward(x, params) should return a dict {{'a1': ..., 'h1': ..., ...}}, "
                       f"got {type(got).__name__}.")
    for key, shape in [("a1", (3,)), ("h1", (3,)), ("h3", (2,))]:
        if key not in got:
            raise Feedback(f"forward(x, params) returned keys {sorted(got)}; missing '{key}'.")
        check_array(got[key], f'forward(x, params)["{key}"]', shape=shape, dtype="floating")
    assert_close(got["a1"], [0.36, 0.37, 0.38], 'forward(x, params)["a1"]', rtol=1e-6, atol=1e-6,
                 diagnose=[("forgot to add the bias b1", [0.35, 0.35, 0.35])],
                 hint="a1 = W1 x + b1 = 0.05 * (1.5 + 2.5 + 3) + b1.")
    assert_close(got["h1"], [0.589, 0.591, 0.594], 'forward(x, params)["h1"]', rtol=0, atol=1e-3,
                 diagnose=[("softmax in a hidden layer: hidden layers use sigmoid",
                            ref_softmax([0.36, 0.37, 0.38]))],
                 hint="h1 = sigmoid(a1) = 1 / (1 + exp(-a1)).")
    sig_out = ref_forward(x, params, output="sigmoid")["h3"]
    assert_close(got["h3"], [0.4975, 0.5025], 'forward(x, params)["h3"]', rtol=0, atol=1e-4,
                 diagnose=[("sigmoid at the output layer instead of softmax", sig_out)],
                 hint="the last layer is softmax(a3); a3's two entries differ by 0.01.")
    check_forward(sub, x, params, "the worked example")


FORWARD_CASES = [
    # (N, layer sizes, seed, weight scale); N = None means a single vector (n,)
    (None, [5, 4, 3], 31, 1.0),
    (1, [4, 3], 32, 1.0),
    (6, [4, 4, 4], 33, 1.0),
    (5, [3, 6, 5, 2], 34, 1.0),
    (4, [3, 4, 3], 35, 300.0),
]


@pytest.mark.points(4)
@pytest.mark.parametrize("n, sizes, seed, scale", FORWARD_CASES,
                         ids=["vector", "batch-of-1", "square-layers", "three-layers", "large-logits"])
def test_forward(sub, n, sizes, seed, scale):
    """forward(x, params) on seeded networks: every a_i and h_i, for a vector and for batches."""
    params = make_params(sizes, seed, scale)
    shape = (sizes[0],) if n is None else (n, sizes[0])
    x = rng(seed + 100).standard_normal(shape)
    x_before, params_before = np.copy(x), copy_params(params)
    what = f"x: one vector of shape {shape}" if n is None else f"x: a batch of shape {shape}"
    check_forward(sub, x, params, what)
    assert_unchanged(x_before, x, "x", mistake="an in-place operation on the input")
    for (W0, b0), (W, b) in zip(params_before, params):
        assert_unchanged(W0, W, "A weight matrix", mistake="an in-place operation on the parameters")
        assert_unchanged(b0, b, "A bias vector", mistake="an in-place operation on the parameters")


@pytest.mark.points(1)
def test_forward_vector_matches_batch_row(sub):
    """forward of one vector (shape (d,)) gives the reference values, like row 0 of a batch of 1."""
    params = make_params([4, 5, 3], 41)
    x = rng(42).standard_normal(4)
    single = call_forward(sub, np.copy(x), copy_params(params))
    batch = call_forward(sub, np.copy(x)[None, :], copy_params(params))
    want = ref_forward(x, params)          # the oracle runs after the learner's calls
    wrong_axis = ref_forward(x[None, :], params, softmax_axis=0)
    for key in ("a2", "h2"):
        for result, shape, name in ((single, (3,), "vector"), (batch, (1, 3), "batch of 1")):
            if not isinstance(result, dict) or key not in result:
                raise Feedback(f"forward(x, params) for a {name} should return a dict with '{key}'.")
            check_array(result[key], f'forward(x, params)["{key}"] for a {name}', shape=shape,
                        dtype="floating")
        same_as_row = bool(np.allclose(single[key], batch[key][0], rtol=RTOL, atol=ATOL))
        assert_close(single[key], want[key], f'forward(x, params)["{key}"] for one vector x of shape (4,)',
                     rtol=RTOL, atol=ATOL,
                     hint=("it agrees with row 0 of your batch-of-1 result, so the formula itself"
                           " is off for batches too: h @ W.T + b, then softmax over axis=-1."
                           if same_as_row else
                           "a vector should go through the same formula as a batch of one row:"
                           " h @ W.T + b and softmax over axis=-1 (axis 0 or axis=1 breaks on"
                           " one or the other)."))
        assert_close(batch[key][0], want[key], f'forward(x, params)["{key}"] for a batch of 1, row 0',
                     rtol=RTOL, atol=ATOL,
                     diagnose=[("softmax over axis 0 (the batch axis) instead of the classes (axis=-1):"
                                " on a batch of 1 every probability becomes 1", wrong_axis[key][0])],
                     hint="the same formula as for a vector: h @ W.T + b, softmax over axis=-1.")
