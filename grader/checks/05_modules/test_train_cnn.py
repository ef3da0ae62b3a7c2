"""Hidden checks for exercises/05_modules/train_cnn.py: SmallCNN, train_epoch, evaluate.

The data is synthetic and CIFAR-shaped, (N, 3, 32, 32): each class has its own colour and its own
stripe orientation and frequency (random phase per image), plus pixel noise. A small CNN learns it
to near 100 % in three short epochs on a CPU.

train_epoch and evaluate are checked on a tiny network of this module (with BatchNorm, and with
Dropout for evaluate) against a reference loop, so that their checks do not depend on the
learner's SmallCNN; SmallCNN is trained by a reference loop, so that its check does not depend on
the learner's train_epoch. One last check runs the learner's three pieces together.

"Moved to device": without a GPU, grader/checks/devices.py replays a GPU's rules on the CPU
(batches in host memory, the model on a pretend device; an operation that mixes them is what a
GPU refuses). Every pattern that works on a GPU passes: labels left on the host and predictions
brought back with .cpu(), .to(device) or .cuda(device), non_blocking=True, torch.inference_mode.
On a machine with CUDA, the checks marked requires("cuda") run the same functions on the GPU.
"""
from __future__ import annotations

# Not yet written for the judge's boundary: these checks run in the learner's process
# (grader/inprocess.py), with the recording tripwire.
IN_LEARNER_PROCESS = True

import math

import pytest
import torch

from grader.checks.devices import SIM_DEVICE, Simulated, on_host, same_device_error
from grader.checks.helpers import (Feedback, assert_close, check_array, check_float, randint, randn,
                                   record_curve, torch_generator)

# Oracles and library functions, bound at import (before the submission is loaded).
from copy import deepcopy as _deepcopy
from torch import nn
from torch.nn.functional import cross_entropy as _cross_entropy
from torch.optim import SGD as _SGD
from torch.optim import Adam as _Adam
from torch.utils.data import TensorDataset as _TensorDataset

_Tensor = torch.Tensor
_Module = nn.Module
_device_type = torch.device
_is_grad_enabled = torch.is_grad_enabled
_no_grad = torch.no_grad
_cat = torch.cat
_zeros_like = torch.zeros_like
_arange = torch.arange
_stack = torch.stack
_rand = torch.rand
_randperm = torch.randperm
_sin, _cos = torch.sin, torch.cos
_float32 = torch.float32

CPU = torch.device("cpu")
MAX_PARAMETERS = 2_000_000


# --- batches that must be moved to the device ----------------------------------------------------

class _Loader:
    """A minimal DataLoader: batches of (inputs, targets) in a fixed order, len() and .dataset."""

    def __init__(self, x, y, batch_size: int, unmoved: bool = False):
        self.dataset = _TensorDataset(x, y)
        self.batch_size = batch_size
        self._x, self._y, self._unmoved = x, y, unmoved

    def __len__(self) -> int:
        return math.ceil(len(self._x) / self.batch_size)

    def __iter__(self):
        for i in range(0, len(self._x), self.batch_size):
            xb = self._x[i:i + self.batch_size].clone()
            yb = self._y[i:i + self.batch_size].clone()
            if self._unmoved:
                xb, yb = on_host(xb), on_host(yb)
            yield xb, yb

    def plain_batches(self):
        return [(self._x[i:i + self.batch_size].clone(), self._y[i:i + self.batch_size].clone())
                for i in range(0, len(self._x), self.batch_size)]


def _moved_run(what: str, call):
    """call(device) under the pretend GPU; Feedback for anything a GPU would have refused."""
    simulated = Simulated()
    with simulated:
        got = call(SIM_DEVICE)
    simulated.verdict(what)
    return got


def _on_gpu(what: str, call):
    """call() on a real GPU, with the device error it may raise turned into feedback."""
    try:
        return call()
    except (RuntimeError, TypeError) as exc:
        feedback = same_device_error(exc, what)
        if feedback is None:
            raise
        raise feedback from None


# --- data ------------------------------------------------------------------------------------------

def _make_images(n: int, num_classes: int, seed: int):
    """(n, 3, 32, 32) float32 images and (n,) int64 labels; the class sets colour and stripes."""
    g = torch_generator(seed)
    k = _arange(num_classes, dtype=_float32) * (2 * math.pi / num_classes)
    colours = 1.5 * _stack([_cos(k), _sin(k), (_arange(num_classes) % 2).to(_float32) * 2 - 1], 1)
    theta = _arange(num_classes, dtype=_float32) * (math.pi / num_classes)
    freq = 2.0 + (_arange(num_classes) % 3).to(_float32)
    y = (_arange(n) % num_classes)[_randperm(n, generator=g)]
    ii = _arange(32, dtype=_float32).view(32, 1)
    jj = _arange(32, dtype=_float32).view(1, 32)
    phase = (_rand(n, generator=g) * 2 * math.pi).view(n, 1, 1)
    t, f = theta[y].view(n, 1, 1), freq[y].view(n, 1, 1)
    stripes = _sin(2 * math.pi * f * (ii * _cos(t) + jj * _sin(t)) / 32 + phase)
    x = colours[y].view(n, 3, 1, 1) + stripes.unsqueeze(1) + 0.5 * randn(n, 3, 32, 32, seed=seed + 1)
    return x, y


# --- a tiny network that records how it is called ------------------------------------------------

class _Tiny(nn.Module):
    """Conv -> BatchNorm -> ReLU -> (Dropout) -> Linear on (N, 3, 8, 8); records mode and grad mode."""

    def __init__(self, num_classes: int, dropout: bool, seed: int):
        super().__init__()
        layers = [nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten()]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers.append(nn.Linear(36, num_classes))
        self.net = nn.Sequential(*layers)
        self.calls: list[tuple[bool, bool]] = []
        with _no_grad():
            for i, p in enumerate(self.net.parameters()):
                p.copy_(randn(*p.shape, seed=seed + i) * 0.5)

    def forward(self, x):
        self.calls.append((self.training, _is_grad_enabled()))
        return self.net(x)


def _flat(tensors) -> torch.Tensor:
    return _cat([t.detach().reshape(-1) for t in tensors])


def _flat_grads(params) -> torch.Tensor:
    return _cat([(_zeros_like(p) if p.grad is None else p.grad.detach()).reshape(-1) for p in params])


def _tiny_data(n: int, num_classes: int, seed: int):
    return randn(n, 3, 8, 8, seed=seed), randint(0, num_classes, (n,), seed=seed + 1)


def _reference_epoch(model, batches, optimizer, *, zero_grad: bool = True) -> list[float]:
    model.train()
    losses = []
    for x, y in batches:
        if zero_grad:
            optimizer.zero_grad()
        loss = _cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _run_train_epoch(sub, model, loader, optimizer):
    return check_float(sub.train_epoch(model, loader, optimizer, CPU), "train_epoch(...)")


# --- SmallCNN --------------------------------------------------------------------------------------

def _small_cnn(sub, *args):
    model = sub.SmallCNN(*args)
    if not isinstance(model, _Module):
        raise Feedback("SmallCNN(...) is not an nn.Module.")
    count = sum(p.numel() for p in model.parameters())
    if count == 0:
        raise Feedback("SmallCNN has no parameters: create its layers in __init__ as attributes "
                       "(or inside nn.Sequential), so that they are registered.")
    if count > MAX_PARAMETERS:
        raise Feedback(f"SmallCNN has {count:,} parameters; keep it under {MAX_PARAMETERS:,} (a few "
                       "tens of thousands are plenty here) so that it trains in seconds on a CPU.")
    return model


@pytest.mark.points(2)
@pytest.mark.parametrize("num_classes, batch", [(None, 1), (10, 4), (3, 2)], ids=["default-1", "10-4", "3-2"])
def test_small_cnn_output_shape(sub, num_classes, batch):
    """SmallCNN(num_classes) maps (N, 3, 32, 32) images to (N, num_classes) scores."""
    model = _small_cnn(sub) if num_classes is None else _small_cnn(sub, num_classes)
    classes = 10 if num_classes is None else num_classes
    model.eval()
    x = randn(batch, 3, 32, 32, seed=batch)
    with _no_grad():
        try:
            out = model(x)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise Feedback(f"SmallCNN({classes})(x) with x of shape {tuple(x.shape)} raised "
                           f"{type(exc).__name__}: {exc}\nCheck the sizes: a 3 x 3 convolution with "
                           "padding 1 keeps 32 x 32, each MaxPool2d(2) halves it, and the first "
                           "Linear must take channels x height x width features.") from None
    check_array(out, f"SmallCNN({classes})(x)", shape=(batch, classes), dtype="floating", kind="tensor")
    if batch > 1 and bool((out >= 0).all()) and bool(((out.sum(1) - 1).abs() < 1e-4).all()):
        raise Feedback(f"SmallCNN({classes})(x) returns rows that are probabilities summing to 1. "
                       "Likely mistake: a softmax at the end of the model; return the raw scores "
                       "(logits): F.cross_entropy applies log-softmax itself.")


@pytest.mark.points(3)
def test_small_cnn_learns(sub):
    """SmallCNN, trained by a reference loop (Adam, 3 epochs of 320 images), reaches >= 90 % test accuracy."""
    x, y = _make_images(320, 10, seed=1)
    x_test, y_test = _make_images(200, 10, seed=2)
    model = _small_cnn(sub, 10)
    optimizer = _Adam(model.parameters(), lr=3e-3)
    batches = _Loader(x, y, 16).plain_batches()
    losses = []
    for _ in range(3):
        losses += _reference_epoch(model, batches, optimizer)
    record_curve("your SmallCNN (per batch)", losses)
    model.eval()
    with _no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    if accuracy < 0.9:
        raise Feedback(f"After 3 epochs with Adam (lr 3e-3) SmallCNN reaches {accuracy:.1%} test "
                       "accuracy on an easy synthetic set, expected at least 90 %. Check the "
                       "architecture: ReLU after each convolution, no softmax or ReLU after the "
                       "last Linear (cross-entropy wants raw scores).")


# --- train_epoch -----------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_train_epoch_matches_reference_loop(sub):
    """train_epoch returns the mean batch loss and leaves the weights where a reference loop does."""
    x, y = _tiny_data(48, 3, seed=5)
    model = _Tiny(3, dropout=False, seed=50)
    reference, no_zero = _deepcopy(model), _deepcopy(model)
    initial = _flat(model.parameters()).clone()
    loader = _Loader(x, y, 16)
    optimizer = _SGD(model.parameters(), lr=0.5)
    got = _run_train_epoch(sub, model, loader, optimizer)
    losses = _reference_epoch(reference, loader.plain_batches(), _SGD(reference.parameters(), lr=0.5))
    # The weights a missing zero_grad would leave, for naming that mistake.
    _reference_epoch(no_zero, loader.plain_batches(), _SGD(no_zero.parameters(), lr=0.5), zero_grad=False)
    assert_close(got, sum(losses) / len(losses), "train_epoch's return value (the mean batch loss)",
                 rtol=1e-4, atol=1e-6,
                 diagnose=[("returned the sum of the batch losses instead of their mean", sum(losses)),
                           ("returned only the last batch's loss, not the mean over the epoch", losses[-1]),
                           ("returned only the first batch's loss, not the mean over the epoch", losses[0])],
                 hint="the mean of loss.item() over the batches, with the loss computed before each step")
    assert_close(_flat(model.parameters()), _flat(reference.parameters()),
                 "the weights after one epoch of SGD", rtol=1e-4, atol=1e-5,
                 diagnose=[("the gradients are not zeroed every step, so they accumulate across "
                            "batches: call optimizer.zero_grad() before each backward()",
                            _flat(no_zero.parameters())),
                           ("the optimizer never updated the weights: call optimizer.step() after "
                            "loss.backward()", initial)],
                 hint="per batch: zero_grad(), loss = F.cross_entropy(model(inputs), targets), "
                      "loss.backward(), optimizer.step()")


class _RecordingSGD(_SGD):
    """SGD with lr 0 (the weights never move) that records the gradients it is asked to apply."""

    def __init__(self, params):
        params = list(params)
        super().__init__(params, lr=0.0)
        self.watched = params
        self.seen: list[torch.Tensor] = []

    def step(self, closure=None):
        self.seen.append(_flat_grads(self.watched).clone())
        return super().step(closure)


@pytest.mark.points(3)
def test_train_epoch_zeroes_gradients(sub):
    """Every optimizer.step() sees the gradient of its own batch only (zero_grad every step)."""
    x, y = _tiny_data(64, 4, seed=7)
    model = _Tiny(4, dropout=False, seed=70)
    reference = _deepcopy(model)
    loader = _Loader(x, y, 16)
    optimizer = _RecordingSGD(model.parameters())
    _run_train_epoch(sub, model, loader, optimizer)
    if len(optimizer.seen) != len(loader):
        raise Feedback(f"optimizer.step() was called {len(optimizer.seen)} times for {len(loader)} "
                       "batches; call it once per batch, after loss.backward().")
    reference.train()
    total = None
    for k, (xb, yb) in enumerate(loader.plain_batches()):
        reference.zero_grad()
        _cross_entropy(reference(xb), yb).backward()
        want = _flat_grads(list(reference.parameters()))
        total = want.clone() if total is None else total + want
        assert_close(optimizer.seen[k], want, f"the gradients at optimizer.step() for batch {k + 1}",
                     rtol=1e-4, atol=1e-6,
                     diagnose=[("the gradients are not zeroed every step, so they accumulate across "
                                "batches: call optimizer.zero_grad() before each backward()", total),
                               ("the gradients are zeroed after backward() and before step(), so "
                                "step() sees none: zero them before the forward pass", _zeros_like(want))],
                     hint="compute the loss of this batch with F.cross_entropy(model(inputs), targets)")


@pytest.mark.points(2)
def test_train_epoch_sets_train_mode(sub):
    """train_epoch puts the model in training mode (it arrives in eval mode) and records history."""
    x, y = _tiny_data(32, 3, seed=9)
    model = _Tiny(3, dropout=True, seed=90)
    model.eval()
    loader = _Loader(x, y, 16)
    _run_train_epoch(sub, model, loader, _SGD(model.parameters(), lr=0.1))
    if len(model.calls) < len(loader):
        raise Feedback(f"train_epoch called the model {len(model.calls)} times for {len(loader)} batches.")
    if not all(training for training, _ in model.calls):
        raise Feedback("The model was in eval mode while train_epoch trained it (Dropout off, "
                       "BatchNorm frozen at its running statistics). Likely mistake: no "
                       "model.train() at the start of train_epoch.")
    if not all(grad for _, grad in model.calls):
        raise Feedback("train_epoch ran the model with gradient recording off (torch.no_grad()): "
                       "nothing can be learnt that way.")


@pytest.mark.points(1)
def test_train_epoch_moves_batches(sub):
    """train_epoch moves every batch (inputs and targets) to the device before using it."""
    x, y = _tiny_data(32, 3, seed=11)
    model = _Tiny(3, dropout=False, seed=110)
    loader, optimizer = _Loader(x, y, 16, unmoved=True), _SGD(model.parameters(), lr=0.1)
    got = _moved_run("train_epoch", lambda device: sub.train_epoch(model, loader, optimizer, device))
    check_float(got, "train_epoch(...)")


# --- evaluate --------------------------------------------------------------------------------------

def _evaluate_setup(num_classes: int, n: int, n_correct: int, seed: int):
    """A tiny model in training mode and labels such that exactly n_correct predictions are right."""
    model = _Tiny(num_classes, dropout=True, seed=seed)
    x = randn(n, 3, 8, 8, seed=seed + 1)
    reference = _deepcopy(model).eval()
    with _no_grad():
        predictions = reference(x).argmax(1)
    correct = _randperm(n, generator=torch_generator(seed + 2))[:n_correct]
    y = (predictions + 1) % num_classes
    y[correct] = predictions[correct]
    model.train()
    return model, x, y


def _run_evaluate(sub, model, loader):
    return check_float(sub.evaluate(model, loader, CPU), "evaluate(...)")


@pytest.mark.points(3)
@pytest.mark.parametrize("n, n_correct, batch", [(40, 23, 16), (1, 1, 1), (30, 9, 30)])
def test_evaluate_accuracy(sub, n, n_correct, batch):
    """evaluate returns the fraction of correct predictions over all samples (in eval mode)."""
    model, x, y = _evaluate_setup(4, n, n_correct, seed=200 + n)
    loader = _Loader(x, y, batch)
    got = _run_evaluate(sub, model, loader)
    want = n_correct / n
    per_batch = []
    with _no_grad():
        frozen = _deepcopy(model).eval()
        for xb, yb in loader.plain_batches():
            per_batch.append((frozen(xb).argmax(1) == yb).float().mean().item())
    diagnose = [("returned the number of correct predictions, not the fraction (divide by the "
                 "number of samples)", float(n_correct)),
                ("returned a percentage; return a fraction in [0, 1]", 100.0 * want)]
    if len(per_batch) > 1:
        diagnose.append(("averaged the per-batch accuracies; the last batch is smaller, so count the "
                         "correct predictions and divide by the total number of samples",
                         sum(per_batch) / len(per_batch)))
    assert_close(got, want, f"evaluate on {n} samples with {n_correct} correct predictions",
                 rtol=1e-6, atol=1e-6, diagnose=diagnose,
                 hint="call model.eval(), predict outputs.argmax(dim=1), and divide the number of "
                      "correct predictions by the number of samples")


@pytest.mark.points(2)
def test_evaluate_sets_eval_mode(sub):
    """evaluate runs the model in eval mode (it arrives in training mode)."""
    model, x, y = _evaluate_setup(3, 24, 10, seed=300)
    _run_evaluate(sub, model, _Loader(x, y, 8))
    if not model.calls:
        raise Feedback("evaluate never called the model.")
    if any(training for training, _ in model.calls):
        raise Feedback("evaluate ran the model in training mode: Dropout dropped units and BatchNorm "
                       "used the batch's statistics. Likely mistake: no model.eval() in evaluate.")


@pytest.mark.points(2)
def test_evaluate_records_no_history(sub):
    """evaluate runs the model without recording autograd history (torch.no_grad)."""
    model, x, y = _evaluate_setup(3, 24, 10, seed=400)
    _run_evaluate(sub, model, _Loader(x, y, 8))
    if not model.calls:
        raise Feedback("evaluate never called the model.")
    if any(grad for _, grad in model.calls):
        raise Feedback("evaluate recorded autograd history while predicting: slower and it holds "
                       "memory for nothing. Likely mistake: evaluate records history; wrap the "
                       "loop in `with torch.no_grad():`.")
    if any(p.grad is not None for p in model.parameters()):
        raise Feedback("After evaluate, the model's parameters have gradients: evaluate must not "
                       "call backward().")


@pytest.mark.points(2)
def test_evaluate_leaves_model_unchanged(sub):
    """evaluate leaves the weights and BatchNorm's running statistics unchanged."""
    model, x, y = _evaluate_setup(3, 24, 10, seed=500)
    before = {name: t.detach().clone() for name, t in model.state_dict().items()}
    _run_evaluate(sub, model, _Loader(x, y, 8))
    after = model.state_dict()
    for name, old in before.items():
        new = after.get(name)
        if new is None or tuple(new.shape) != tuple(old.shape) or not bool((new == old).all()):
            what = "BatchNorm's running statistics" if "running" in name or "num_batches" in name else f"the weight {name}"
            raise Feedback(f"evaluate changed {what}. Likely mistake: no model.eval() in evaluate; "
                           "in training mode BatchNorm updates its running averages on every batch.")


@pytest.mark.points(1)
def test_evaluate_moves_batches(sub):
    """evaluate moves every batch (inputs and targets) to the device before using it."""
    model, x, y = _evaluate_setup(3, 24, 10, seed=600)
    loader = _Loader(x, y, 8, unmoved=True)
    got = _moved_run("evaluate", lambda device: sub.evaluate(model, loader, device))
    assert_close(check_float(got, "evaluate(...)"), 10 / 24, "evaluate on 24 samples with 10 correct "
                 "predictions (batches handed over in host memory)", rtol=1e-6, atol=1e-6)


# --- on a real GPU ----------------------------------------------------------------------------

@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_train_epoch_on_gpu(sub):
    """train_epoch on a GPU: batches from host memory reach the model, weights move like a reference loop."""
    cuda = _device_type("cuda")
    x, y = _tiny_data(48, 3, seed=13)
    model = _Tiny(3, dropout=False, seed=130).to(cuda)
    reference = _deepcopy(model)
    loader = _Loader(x, y, 16)
    optimizer = _SGD(model.parameters(), lr=0.5)
    got = _on_gpu("train_epoch(..., device=cuda)",
                  lambda: sub.train_epoch(model, loader, optimizer, cuda))
    got = check_float(got, "train_epoch(..., device=cuda)")
    batches = [(xb.to(cuda), yb.to(cuda)) for xb, yb in loader.plain_batches()]
    losses = _reference_epoch(reference, batches, _SGD(reference.parameters(), lr=0.5))
    assert_close(got, sum(losses) / len(losses), "train_epoch's return value on a GPU", rtol=1e-3,
                 atol=1e-5, hint="the mean of loss.item() over the batches")
    assert_close(_flat(model.parameters()).cpu(), _flat(reference.parameters()).cpu(),
                 "the weights after one epoch on a GPU", rtol=1e-3, atol=1e-4,
                 hint="per batch: move inputs and targets with .to(device), zero_grad(), forward, "
                      "backward(), step()")


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_evaluate_on_gpu(sub):
    """evaluate on a GPU: batches from host memory, the accuracy a reference loop measures there."""
    cuda = _device_type("cuda")
    model, x, y = _evaluate_setup(3, 24, 10, seed=700)
    model = model.to(cuda)
    loader = _Loader(x, y, 8)
    got = _on_gpu("evaluate(..., device=cuda)", lambda: sub.evaluate(model, loader, cuda))
    got = check_float(got, "evaluate(..., device=cuda)")
    frozen = _deepcopy(model).eval()
    with _no_grad():
        right = sum(int((frozen(xb.to(cuda)).argmax(1).cpu() == yb).sum()) for xb, yb in loader.plain_batches())
    assert_close(got, right / 24, "evaluate's accuracy on a GPU (24 samples)", rtol=1e-6, atol=1e-6,
                 hint="count correct predictions with the targets on the same device as the "
                      "predictions, and divide by the number of samples")


# --- all together --------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_training_end_to_end(sub):
    """SmallCNN + train_epoch (3 epochs, Adam) + evaluate: >= 90 % test accuracy, falling loss."""
    x, y = _make_images(320, 10, seed=1)
    x_test, y_test = _make_images(200, 10, seed=2)
    model = _small_cnn(sub, 10)
    optimizer = _Adam(model.parameters(), lr=3e-3)
    train_loader, test_loader = _Loader(x, y, 16), _Loader(x_test, y_test, 50)
    losses = [_run_train_epoch(sub, model, train_loader, optimizer) for _ in range(3)]
    record_curve("yours (per epoch)", losses)
    accuracy = _run_evaluate(sub, model, test_loader)
    model.eval()
    with _no_grad():
        want = (model(x_test).argmax(1) == y_test).float().mean().item()
    assert_close(accuracy, want, "evaluate(model, test_loader) after training", rtol=1e-6, atol=1e-6)
    if not losses[-1] < losses[0]:
        raise Feedback(f"The mean training loss did not fall over 3 epochs: {[round(v, 4) for v in losses]}.")
    if accuracy < 0.9:
        raise Feedback(f"After 3 epochs the test accuracy is {accuracy:.1%} (losses per epoch: "
                       f"{[round(v, 4) for v in losses]}); expected at least 90 % on this easy set.")
