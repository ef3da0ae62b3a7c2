"""Hidden checks for manual_backward: every layer's forward and backward against torch autograd.

The learner's file is NumPy only; these checks use torch (float64) as the oracle, on the very
weights the learner's layers hold.
"""
import numpy as np
import pytest

from grader.checks.helpers import Feedback, assert_close, assert_unchanged, check_array, check_float, rng

from torch import from_numpy as _t_from_numpy
from torch import matmul as _t_matmul
from torch import mul as _t_mul
from torch import sum as _t_sum
from torch import add as _t_add
from torch import relu as _t_relu
from torch import sigmoid as _t_sigmoid
from torch import tanh as _t_tanh
from torch import tensor as _t_tensor
from torch.autograd import grad as _t_grad
from torch.nn.functional import cross_entropy as _t_cross_entropy


RTOL, ATOL = 1e-5, 1e-7


# --- oracles --------------------------------------------------------------------------------------

def _t(a, requires_grad=False):
    return _t_from_numpy(np.array(a, dtype=np.float64)).requires_grad_(requires_grad)


def _n(t):
    return t.detach().numpy().copy()


def ref_linear(x, W, b, grad_y):
    """y, grad_x, grad_W, grad_b of y = x @ W + b by torch autograd."""
    tx, tW, tb = _t(x, True), _t(W, True), _t(b, True)
    y = _t_add(_t_matmul(tx, tW), tb)
    # The gradient of sum(y * grad_y) is the vector-Jacobian product with grad_y (this avoids
    # grad_outputs=, whose first use imports a slow module).
    gx, gW, gb = _t_grad(_t_sum(_t_mul(y, _t(grad_y))), (tx, tW, tb))
    return _n(y), _n(gx), _n(gW), _n(gb)


ACTIVATIONS = {"ReLU": _t_relu, "Sigmoid": _t_sigmoid, "Tanh": _t_tanh}


def ref_activation(name, x, grad_y):
    tx = _t(x, True)
    y = ACTIVATIONS[name](tx)
    (gx,) = _t_grad(_t_sum(_t_mul(y, _t(grad_y))), (tx,))
    return _n(y), _n(gx)


def ref_cross_entropy(logits, targets):
    tz = _t(logits, True)
    loss = _t_cross_entropy(tz, _t_tensor(np.array(targets, dtype=np.int64)))
    (gz,) = _t_grad(loss, (tz,))
    return float(loss.item()), _n(gz)


def ref_network(x, weights, activations, targets):
    """Loss, grad_x and every (grad_W, grad_b) of Linear, act, Linear, act, ..., Linear + CE."""
    tx = _t(x, True)
    leaves = [(_t(W, True), _t(b, True)) for W, b in weights]
    h = tx
    for i, (tW, tb) in enumerate(leaves):
        h = _t_add(_t_matmul(h, tW), tb)
        if i < len(activations):
            h = ACTIVATIONS[activations[i]](h)
    loss = _t_cross_entropy(h, _t_tensor(np.array(targets, dtype=np.int64)))
    flat = [tx] + [t for pair in leaves for t in pair]
    grads = _t_grad(loss, flat)
    return float(loss.item()), _n(grads[0]), [(_n(grads[1 + 2 * i]), _n(grads[2 + 2 * i]))
                                              for i in range(len(leaves))]


# --- helpers --------------------------------------------------------------------------------------

def make_linear(sub, n_in, n_out, seed):
    """The learner's Linear holding seeded float64 weights (the same ones the oracle uses)."""
    g = rng(seed)
    layer = sub.Linear(n_in, n_out, rng(seed + 1))
    W = g.standard_normal((n_in, n_out))
    b = g.standard_normal(n_out)
    layer.W, layer.b = np.copy(W), np.copy(b)
    return layer, W, b


def check_grad_W(got, want, name, n_in, n_out, n, diagnose=()):
    if hasattr(got, "shape") and tuple(got.shape) == (n_out, n_in) and n_in != n_out:
        raise Feedback(f"{name} has shape {tuple(got.shape)}, expected W's shape {(n_in, n_out)}.\n"
                       "Likely mistake: grad_W is transposed; grad_W = x.T @ grad_y has the shape of W.")
    check_array(got, name, shape=(n_in, n_out), dtype="floating")
    wrongs = [("grad_W is transposed; grad_W = x.T @ grad_y has the shape of W", want.T)] if n_in == n_out else []
    if n > 1:
        wrongs.append(("grad_W divided by the batch size; the 1/N of a mean belongs to the loss's "
                       "gradient, not to Linear", want / n))
    assert_close(got, want, name, rtol=RTOL, atol=ATOL, diagnose=wrongs + list(diagnose),
                 hint="grad_W = x.T @ grad_y, with x the input cached by forward.")


def check_grad_b(got, want, name, n_out, n, diagnose=()):
    if n_out > 1 and isinstance(got, (float, np.floating, np.ndarray)) and np.size(got) == 1:
        total = float(np.asarray(got).reshape(()))
        if abs(total - float(want.sum())) <= 1e-6 + 1e-5 * abs(float(want.sum())):
            raise Feedback(f"{name} is a single number, {total:.6g}, expected b's shape {(n_out,)}.\n"
                           "Likely mistake: you summed over every axis; sum over the batch axis only,"
                           f" grad_y.sum(axis=0), which keeps one entry per output: shape {(n_out,)}.")
    shape = tuple(got.shape) if hasattr(got, "shape") else None
    if shape == (n, n_out) and n_out != 1:
        raise Feedback(f"{name} has shape {shape}, expected b's shape {(n_out,)}.\n"
                       "Likely mistake: grad_b not summed over the batch; every sample used the same b, "
                       "so add their gradients: grad_y.sum(axis=0).")
    if shape == (n,) and n != n_out:
        raise Feedback(f"{name} has shape {shape}, expected b's shape {(n_out,)}.\n"
                       "Likely mistake: grad_b summed over the wrong axis; sum over the batch axis: "
                       "grad_y.sum(axis=0).")
    check_array(got, name, shape=(n_out,), dtype="floating")
    wrongs = []
    if n > 1:
        wrongs.append(("grad_b averaged over the batch instead of summed: grad_y.sum(axis=0)", want / n))
    assert_close(got, want, name, rtol=RTOL, atol=ATOL, diagnose=wrongs + list(diagnose),
                 hint="grad_b = grad_y.sum(axis=0).")


def loss_value(value, name, large=False):
    """The loss as a float; a nan/inf loss on large logits gets a message about stability."""
    if large:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = 0.0
        if number != number or number in (float("inf"), float("-inf")):
            raise Feedback(
                f"{name} is {number}.\n"
                "Likely mistake: no max-subtraction, or the log of a softmax probability that underflowed "
                "to 0. Use log-sum-exp: with m = max over the row, log_probs = z - m - log(sum(exp(z - m))), "
                "and take the loss from log_probs.")
    return check_float(value, name)


def require_finite(got, name, why):
    if isinstance(got, np.ndarray) and got.dtype.kind == "f" and not bool(np.isfinite(got).all()):
        raise Feedback(f"{name} contains nan or inf for logits as large as ±1000.\nLikely mistake: {why}.")


# --- Linear ---------------------------------------------------------------------------------------

LINEAR_CASES = [(1, 3, 2, 1), (5, 4, 4, 2), (8, 6, 3, 3)]


@pytest.mark.points(3)
@pytest.mark.parametrize("n, n_in, n_out, seed", LINEAR_CASES, ids=["batch-of-1", "square-W", "batch-of-8"])
def test_linear(sub, n, n_in, n_out, seed):
    """Linear forward, grad_x, grad_W and grad_b against torch autograd."""
    layer, W, b = make_linear(sub, n_in, n_out, 100 + seed)
    g = rng(200 + seed)
    x = g.standard_normal((n, n_in))
    grad_y = g.standard_normal((n, n_out))
    y = layer.forward(np.copy(x))
    y_want = ref_linear(x, W, b, grad_y)[0]       # oracles run after the learner's call returned
    check_array(y, f"Linear({n_in}, {n_out}).forward(x)", shape=(n, n_out), dtype="floating")
    assert_close(y, y_want, f"Linear({n_in}, {n_out}).forward(x)", rtol=RTOL, atol=ATOL,
                 diagnose=[("forgot the bias b", y_want - b)], hint="y = x @ W + b.")
    gx = layer.backward(np.copy(grad_y))
    _, gx_want, gW_want, gb_want = ref_linear(x, W, b, grad_y)
    name = f"Linear({n_in}, {n_out}).backward(grad_y)"
    check_array(gx, f"{name} (grad_x)", shape=(n, n_in), dtype="floating")
    wrong_gx = [("grad_x = grad_y @ W instead of grad_y @ W.T", grad_y @ W)] if n_in == n_out else []
    assert_close(gx, gx_want, f"{name} (grad_x)", rtol=RTOL, atol=ATOL, diagnose=wrong_gx,
                 hint="grad_x = grad_y @ W.T.")
    check_grad_W(getattr(layer, "grad_W", None), gW_want, "Linear.grad_W after backward", n_in, n_out, n)
    check_grad_b(getattr(layer, "grad_b", None), gb_want, "Linear.grad_b after backward", n_out, n)


@pytest.mark.points(1)
def test_linear_worked_example(sub):
    """Linear worked example: W = [[1, 2], [3, 4]], x = [[1, 1]], grad_y = [[1, 0]]."""
    layer = sub.Linear(2, 2, rng(0))
    layer.W, layer.b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.0, 0.0])
    y = layer.forward(np.array([[1.0, 1.0]]))
    check_array(y, "forward(x)", shape=(1, 2), dtype="floating")
    assert_close(y, [[4.0, 6.0]], "forward([[1, 1]])", rtol=1e-9, atol=1e-9,
                 diagnose=[("computed W @ x (or x @ W.T) instead of x @ W", [[3.0, 7.0]])],
                 hint="y = x @ W + b with W of shape (in, out).")
    gx = layer.backward(np.array([[1.0, 0.0]]))
    check_array(gx, "backward(grad_y) (grad_x)", shape=(1, 2), dtype="floating")
    assert_close(gx, [[1.0, 3.0]], "backward([[1, 0]]) (grad_x)", rtol=1e-9, atol=1e-9,
                 diagnose=[("grad_x = grad_y @ W instead of grad_y @ W.T", [[1.0, 2.0]])],
                 hint="grad_x = grad_y @ W.T.")
    check_grad_W(layer.grad_W, np.array([[1.0, 0.0], [1.0, 0.0]]), "grad_W", 2, 2, 1)
    check_grad_b(layer.grad_b, np.array([1.0, 0.0]), "grad_b", 2, 1)


@pytest.mark.points(1)
def test_linear_backward_sets_gradients(sub):
    """A second forward/backward gives the second batch's gradients (set, not accumulated)."""
    layer, W, b = make_linear(sub, 4, 3, 300)
    g = rng(301)
    x1, x2 = g.standard_normal((5, 4)), g.standard_normal((2, 4))
    gy1, gy2 = g.standard_normal((5, 3)), g.standard_normal((2, 3))
    layer.forward(np.copy(x1))
    layer.backward(np.copy(gy1))
    layer.forward(np.copy(x2))
    gx = layer.backward(np.copy(gy2))
    _, _, gW1, gb1 = ref_linear(x1, W, b, gy1)
    _, gx2, gW2, gb2 = ref_linear(x2, W, b, gy2)
    check_array(gx, "grad_x of the second batch", shape=(2, 4), dtype="floating")
    assert_close(gx, gx2, "grad_x of the second batch", rtol=RTOL, atol=ATOL)
    acc = "the gradients accumulate (+=) over backward calls; backward should set grad_W and grad_b"
    check_grad_W(layer.grad_W, gW2, "grad_W after a second forward/backward", 4, 3, 2,
                 diagnose=[(acc, gW1 + gW2)])
    check_grad_b(layer.grad_b, gb2, "grad_b after a second forward/backward", 3, 2,
                 diagnose=[(acc, gb1 + gb2)])


# --- activations ----------------------------------------------------------------------------------

def activation_mistakes(name, x, y, grad_y):
    if name == "ReLU":
        return [("the gradient also passes where x < 0; zero it there (multiply by the mask x > 0)", grad_y),
                ("the mask is inverted: keep the gradient where x > 0, not where x < 0", grad_y * (x < 0)),
                ("grad_y multiplied by the output relu(x) instead of by the 0/1 mask (x > 0)", grad_y * y),
                ("the mask is returned without multiplying by grad_y", (x > 0) * 1.0)]
    if name == "Sigmoid":
        return [("the derivative used the input x instead of the cached output y: it is y * (1 - y) "
                 "with y = sigmoid(x)", grad_y * x * (1 - x)),
                ("the derivative is not multiplied by grad_y", y * (1 - y)),
                ("the derivative is y * (1 - y), not y", grad_y * y)]
    return [("the tanh derivative used the input x: it is 1 - y**2 with y = tanh(x), the cached output",
             grad_y * (1 - x ** 2)),
            ("the tanh derivative is 1 - y**2, not 1 - y", grad_y * (1 - y)),
            ("the tanh derivative is 1 - y**2, not 1 + y**2", grad_y * (1 + y ** 2)),
            ("the tanh derivative is 1 - y**2, not 1 - tanh(x)**2 of the output (tanh applied twice)",
             grad_y * (1 - np.tanh(y) ** 2)),
            ("the derivative is not multiplied by grad_y", 1 - y ** 2)]


FORMULAS = {"ReLU": "grad_x = grad_y * (x > 0)", "Sigmoid": "grad_x = grad_y * y * (1 - y)",
            "Tanh": "grad_x = grad_y * (1 - y**2)"}


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(1, 4), (6, 5)], ids=["batch-of-1", "batch-of-6"])
@pytest.mark.parametrize("name", ["ReLU", "Sigmoid", "Tanh"])
def test_activation(sub, name, shape):
    """Activation forward and backward against torch autograd; x and grad_y are left unchanged."""
    g = rng(400 + len(name) * 10 + shape[0])
    x = g.standard_normal(shape) * 2
    grad_y = g.standard_normal(shape)
    layer = getattr(sub, name)()
    x_in, grad_y_in = np.copy(x), np.copy(grad_y)
    y = layer.forward(x_in)
    y_want = ref_activation(name, x, grad_y)[0]
    check_array(y, f"{name}().forward(x)", shape=shape, dtype="floating")
    assert_close(y, y_want, f"{name}().forward(x)", rtol=RTOL, atol=ATOL)
    gx = layer.backward(grad_y_in)
    gx_want = ref_activation(name, x, grad_y)[1]
    check_array(gx, f"{name}().backward(grad_y)", shape=shape, dtype="floating")
    assert_unchanged(x, x_in, f"The x passed to {name}().forward",
                     mistake="an in-place operation on x (np.maximum(x, 0, out=x), x[x < 0] = 0, "
                             "x *= ...); compute a new array for y")
    assert_unchanged(grad_y, grad_y_in, f"The grad_y passed to {name}().backward",
                     mistake="grad_y *= ...; compute a new array for grad_x")
    assert_close(gx, gx_want, f"{name}().backward(grad_y)", rtol=RTOL, atol=ATOL,
                 diagnose=activation_mistakes(name, x, y_want, grad_y), hint=FORMULAS[name] + ".")


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["Sigmoid", "Tanh"])
def test_activation_saturated(sub, name):
    """Sigmoid and Tanh at ±1000: outputs saturate, gradients vanish, nothing is nan."""
    x = np.array([[-1000.0, -30.0, 0.5, 30.0, 1000.0]])
    grad_y = np.array([[1.0, -2.0, 0.5, 3.0, -1.0]])
    layer = getattr(sub, name)()
    y = layer.forward(np.copy(x))
    y_want = ref_activation(name, x, grad_y)[0]
    check_array(y, f"{name}().forward(x)", shape=x.shape, dtype="floating")
    assert_close(y, y_want, f"{name}().forward([[-1000, -30, 0.5, 30, 1000]])", rtol=RTOL, atol=ATOL)
    gx = layer.backward(np.copy(grad_y))
    gx_want = ref_activation(name, x, grad_y)[1]
    check_array(gx, f"{name}().backward(grad_y)", shape=x.shape, dtype="floating")
    assert_close(gx, gx_want, f"{name}().backward(grad_y) at x = [[-1000, -30, 0.5, 30, 1000]]",
                 rtol=RTOL, atol=ATOL, diagnose=activation_mistakes(name, x, y_want, grad_y),
                 hint=FORMULAS[name] + ", using the output y cached by forward.")


# --- SoftmaxCrossEntropy --------------------------------------------------------------------------

def check_cross_entropy(sub, logits, targets, label, large=False):
    n = logits.shape[0]
    ce = sub.SoftmaxCrossEntropy()
    name = f"SoftmaxCrossEntropy().forward(logits, targets) ({label})"
    logits_in = np.copy(logits)
    loss = loss_value(ce.forward(logits_in, np.copy(targets)), name, large)
    loss_want = ref_cross_entropy(logits, targets)[0]
    assert_unchanged(logits, logits_in, "The logits passed to SoftmaxCrossEntropy().forward",
                     mistake="subtracting the row maximum in place (logits -= logits.max(...)); "
                             "write shifted = logits - logits.max(axis=1, keepdims=True)")
    loss_wrongs = [("a missing minus sign: the loss is -log softmax(z)[target]", -loss_want)]
    if n > 1:
        loss_wrongs.insert(0, ("the loss is summed over the batch instead of averaged", loss_want * n))
    assert_close(loss, loss_want, name, rtol=RTOL, atol=ATOL, diagnose=loss_wrongs,
                 hint="loss = mean over the batch of (logsumexp(z_i) - z_i[t_i]).")
    grad = ce.backward()
    grad_want = ref_cross_entropy(logits, targets)[1]
    gname = f"SoftmaxCrossEntropy().backward() ({label})"
    check_array(grad, gname, shape=logits.shape, dtype="floating")
    if large:
        require_finite(grad, gname, "no max-subtraction in the softmax: subtract each row's maximum "
                                    "before np.exp")
    onehot = np.zeros(logits.shape)
    onehot[np.arange(n), targets] = 1.0
    probs = grad_want * n + onehot
    grad_wrongs = [("the gradient is summed over the batch instead of averaged: divide softmax(z) - onehot by N",
                    grad_want * n)] if n > 1 else []
    grad_wrongs += [("the sign is flipped: the gradient is softmax(z) - onehot, not onehot - softmax(z)",
                     -grad_want),
                    ("the one-hot targets were not subtracted", probs / n)]
    assert_close(grad, grad_want, gname, rtol=RTOL, atol=ATOL, diagnose=grad_wrongs,
                 hint="d loss / d logits = (softmax(z) - onehot(targets)) / N.")


@pytest.mark.points(3)
@pytest.mark.parametrize("n, c, seed", [(1, 3, 1), (4, 5, 2), (16, 10, 3)],
                         ids=["batch-of-1", "batch-of-4", "batch-of-16"])
def test_softmax_cross_entropy(sub, n, c, seed):
    """SoftmaxCrossEntropy loss and gradient against torch's cross_entropy."""
    g = rng(500 + seed)
    logits = g.standard_normal((n, c)) * 3
    targets = g.integers(0, c, n)
    check_cross_entropy(sub, logits, targets, f"a batch of {n}, {c} classes")


LARGE = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0],
                [-1000.0, -1000.0, -1000.0]])


@pytest.mark.points(2)
def test_softmax_cross_entropy_large_logits(sub):
    """SoftmaxCrossEntropy with logits of ±1000, targets at the largest logit."""
    check_cross_entropy(sub, LARGE, np.array([0, 1, 1, 2]), "logits of ±1000", large=True)


@pytest.mark.points(2)
def test_softmax_cross_entropy_large_logits_wrong_class(sub):
    """SoftmaxCrossEntropy with logits of ±1000 whose targets have a tiny probability (loss ≈ 1000)."""
    check_cross_entropy(sub, LARGE, np.array([1, 0, 2, 0]), "logits of ±1000, unlikely targets", large=True)


# --- Sequential -----------------------------------------------------------------------------------

class _Spy:
    """A layer that records the order of calls: y = x * k + k, grad_x = grad_y * k."""

    def __init__(self, name, k, log):
        self.name, self.k, self.log = name, k, log

    def forward(self, x):
        self.log.append(("forward", self.name))
        return x * self.k + self.k

    def backward(self, grad_y):
        self.log.append(("backward", self.name))
        return grad_y * self.k


@pytest.mark.points(2)
def test_sequential_order(sub):
    """Sequential.forward calls the layers first to last, backward last to first."""
    log = []
    layers = [_Spy("A", 2.0, log), _Spy("B", 3.0, log), _Spy("C", 5.0, log)]
    model = sub.Sequential(*layers)
    x = np.array([[1.0, -1.0]])
    y = model.forward(np.copy(x))
    check_array(y, "Sequential(A, B, C).forward(x)", shape=(1, 2), dtype="floating")
    forward_order = [name for kind, name in log if kind == "forward"]
    if forward_order != ["A", "B", "C"]:
        raise Feedback(f"Sequential(A, B, C).forward called the layers in the order {forward_order}; "
                       "expected A, B, C, each on the previous layer's output.")
    assert_close(y, ((x * 2 + 2) * 3 + 3) * 5 + 5, "Sequential(A, B, C).forward(x)", rtol=1e-9, atol=1e-9,
                 hint="feed each layer's output into the next layer and return the last output.")
    log.clear()
    gx = model.backward(np.array([[1.0, 2.0]]))
    backward_order = [name for kind, name in log if kind == "backward"]
    if backward_order != ["C", "B", "A"]:
        raise Feedback(f"Sequential(A, B, C).backward called the layers in the order {backward_order}.\n"
                       "Likely mistake: backward in forward order; the gradient flows from the last layer to "
                       "the first: for layer in reversed(self.layers).")
    check_array(gx, "Sequential(A, B, C).backward(grad_y)", shape=(1, 2), dtype="floating")
    assert_close(gx, [[30.0, 60.0]], "Sequential(A, B, C).backward(grad_y)", rtol=1e-9, atol=1e-9,
                 hint="feed each layer's grad_x into the previous layer's backward and return the last one.")


NETWORK = [(5, 8), (8, 6), (6, 4), (4, 3)]
NETWORK_HINT = ("if every layer passes its own check, look at Sequential: each layer's output feeds the "
                "next layer, and backward feeds each grad_x to the previous layer, last layer first.")


def run_backward(model, grad):
    try:
        return model.backward(grad)
    except ValueError as exc:
        raise Feedback(f"Sequential(...).backward raised ValueError: {exc}\n"
                       "Likely mistake: if each layer passes on its own, backward visits the layers in "
                       "forward order; go from the last layer to the first: reversed(self.layers).") from None

NETWORK_ACTS = ["ReLU", "Sigmoid", "Tanh"]


@pytest.mark.points(4)
@pytest.mark.parametrize("n, seed", [(1, 1), (7, 2)], ids=["batch-of-1", "batch-of-7"])
def test_network_gradients(sub, n, seed):
    """A whole network (Linear, ReLU, Linear, Sigmoid, Linear, Tanh, Linear + loss) against torch autograd."""
    g = rng(600 + seed)
    linears, weights = [], []
    for i, (n_in, n_out) in enumerate(NETWORK):
        layer, W, b = make_linear(sub, n_in, n_out, 700 + 10 * seed + i)
        linears.append(layer)
        weights.append((W, b))
    layers = []
    for i, layer in enumerate(linears):
        layers.append(layer)
        if i < len(NETWORK_ACTS):
            layers.append(getattr(sub, NETWORK_ACTS[i])())
    x = g.standard_normal((n, NETWORK[0][0]))
    targets = g.integers(0, NETWORK[-1][1], n)

    model = sub.Sequential(*layers)
    logits = model.forward(np.copy(x))
    check_array(logits, "Sequential(...).forward(x)", shape=(n, NETWORK[-1][1]), dtype="floating")
    ce = sub.SoftmaxCrossEntropy()
    loss = check_float(ce.forward(logits, np.copy(targets)), "the network's loss")
    loss_want = ref_network(x, weights, NETWORK_ACTS, targets)[0]
    assert_close(loss, loss_want, "the network's loss", rtol=RTOL, atol=ATOL)
    grad_logits = ce.backward()
    gx = run_backward(model, grad_logits)
    _, gx_want, grads_want = ref_network(x, weights, NETWORK_ACTS, targets)
    check_array(gx, "Sequential(...).backward(grad) (grad_x)", shape=x.shape, dtype="floating")
    # From the loss backwards: the first gradient that disagrees is the closest to the mistake.
    for i in reversed(range(len(linears))):
        (n_in, n_out), (gW, gb) = NETWORK[i], grads_want[i]
        where = f"Linear({n_in}, {n_out}), layer {2 * i} of the network,"
        check_grad_W(getattr(linears[i], "grad_W", None), gW, f"grad_W of {where}", n_in, n_out, n)
        check_grad_b(getattr(linears[i], "grad_b", None), gb, f"grad_b of {where}", n_out, n)
    assert_close(gx, gx_want, "the network's grad_x (returned by Sequential.backward)", rtol=RTOL, atol=ATOL,
                 hint=NETWORK_HINT)


def parameter_identities(model, layers):
    """In the learner's process: ("list", [[(layer, attribute) or None, ...] per pair]) naming, by
    identity, which of the layers' own W, b, grad_W, grad_b arrays each pair holds."""
    pairs = model.parameters()
    if not isinstance(pairs, (list, tuple)):
        return type(pairs).__name__, None
    found = []
    for pair in pairs:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            return "list", None
        where = []
        for array in pair:
            hit = None
            for index, layer in enumerate(layers):
                for attr in ("W", "b", "grad_W", "grad_b"):
                    if getattr(layer, attr, None) is array:
                        hit = [index, attr]
            where.append(hit)
        found.append(where)
    return "list", found


@pytest.mark.points(2)
def test_sequential_parameters(sub):
    """Sequential.parameters() returns (param, grad) pairs: the layers' own W, grad_W, b, grad_b arrays."""
    first, _, _ = make_linear(sub, 3, 4, 800)
    second, _, _ = make_linear(sub, 4, 2, 801)
    model = sub.Sequential(first, sub.ReLU(), second)
    g = rng(802)
    model.forward(g.standard_normal((5, 3)))
    run_backward(model, g.standard_normal((5, 2)))
    kind, got = sub.run(parameter_identities, model, [first, second])
    if kind != "list":
        raise Feedback(f"Sequential.parameters() should return a list of (param, grad) pairs, "
                       f"got {kind}.")
    if got is None:
        raise Feedback("Sequential.parameters() should return a list of (param, grad) pairs, "
                       "each a tuple of two arrays.")
    names = {}
    for index, layer_name in enumerate(("first Linear", "second Linear")):
        names[((index, "W"), (index, "grad_W"))] = f"({layer_name}.W, {layer_name}.grad_W)"
        names[((index, "b"), (index, "grad_b"))] = f"({layer_name}.b, {layer_name}.grad_b)"
    got = [tuple(tuple(a) if a is not None else None for a in pair) for pair in got]
    if any(a is None for pair in got for a in pair):
        raise Feedback("Sequential.parameters() returned arrays that are not the layers' own: probably "
                       "copies (layer.W.copy(), np.array(layer.W), ...). Return the layers' own arrays, so "
                       "that an in-place update p -= lr * g changes the model.")
    missing = [label for key, label in names.items() if key not in got]
    if missing:
        raise Feedback(f"Sequential(Linear(3, 4), ReLU(), Linear(4, 2)).parameters() lacks the pairs "
                       f"{', '.join(missing)}. Expected (W, grad_W) and (b, grad_b) for every Linear, "
                       "each param with its own gradient.")
    if len(got) != len(names):
        raise Feedback(f"Sequential(Linear(3, 4), ReLU(), Linear(4, 2)).parameters() returned {len(got)} "
                       f"pairs; expected {len(names)}: (W, grad_W) and (b, grad_b) for each Linear, once.")
