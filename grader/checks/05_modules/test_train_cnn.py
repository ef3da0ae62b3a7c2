"""Hidden checks for exercises/05_modules/train_cnn.py: SmallCNN, train_epoch, evaluate.

The data is synthetic and CIFAR-shaped, (N, 3, 32, 32): each class has its own colour and its own
stripe orientation and frequency (random phase per image), plus pixel noise. A small CNN learns it
to near 100 % in three short epochs on a CPU.

train_epoch and evaluate are checked on a tiny network of this module (with BatchNorm, and with
Dropout for evaluate) against a reference loop, so that their checks do not depend on the
learner's SmallCNN; SmallCNN is trained by a reference loop, so that its check does not depend on
the learner's train_epoch. One last check runs the learner's three pieces together.

What runs in the learner's process (the snippets below, with sub.run): the learner's functions,
and the objects they work on, built there: the tiny recording network (from the starting weights
the judge sends, so that both sides start alike), the loaders, the optimizers, a recording SGD.
The data, the reference loops, the expected losses, weights, gradients and accuracies stay here.

"Moved to device": without a GPU, grader/simdevice.py replays a GPU's rules on the CPU in the
learner's process (batches in host memory, the model on a pretend device; an operation that mixes
them is what a GPU refuses), and grader/checks/devices.py turns what it recorded into feedback.
Every pattern that works on a GPU passes: labels left on the host and predictions brought back
with .cpu(), .to(device) or .cuda(device), non_blocking=True, torch.inference_mode. On a machine
with CUDA, the checks marked requires("cuda") run the same functions on the GPU.
"""
from __future__ import annotations

import math
from copy import deepcopy

import pytest
import torch
from torch import nn
from torch.nn.functional import cross_entropy

from grader.checks.probes import on_sim_device
from grader.checks.devices import on_gpu, verdict
from grader.checks.helpers import (Feedback, assert_close, check_array, check_float, randint, randn,
                                   record_curve, torch_generator)

CPU = torch.device("cpu")
MAX_PARAMETERS = 2_000_000


# --- what runs in the learner's process (grader/judge.py: sub.run) ------------------------------
# ruff: noqa: F821 - sub, torch, nn, F, math and simdevice are the learner's process's names there

def cnn_facts(model):
    """(is it an nn.Module, its number of parameters)."""
    if not isinstance(model, nn.Module):
        return False, 0
    return True, sum(p.numel() for p in model.parameters())


def cnn_scores(model, x):
    """model(x) in eval mode, without history."""
    model.eval()
    with torch.no_grad():
        out = model(x)
    return out.detach() if isinstance(out, torch.Tensor) else out


def train_with_adam(model, x, y, batch_size, epochs, lr):
    """The check's reference loop on the learner's model: Adam, batches in order; the batch losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(epochs):
        for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
            xb, yb = xb.clone(), yb.clone()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def tiny_network(num_classes, dropout, state, training, device=None):
    """The tiny recording network (the judge's _Tiny, layer for layer), loaded with `state`; a handle."""
    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten()]
            if dropout:
                layers.append(nn.Dropout(0.5))
            layers.append(nn.Linear(36, num_classes))
            self.net = nn.Sequential(*layers)
            self.calls = []   # (training mode, grad mode) of every call

        def forward(self, x):
            self.calls.append((bool(self.training), torch.is_grad_enabled()))
            return self.net(x)

    model = Tiny()
    model.load_state_dict(state)
    model.train(training)
    return model if device is None else model.to(device)


def loader_of(x, y, batch_size):
    """A minimal DataLoader: fresh copies of the batches of (x, y) in order, len() and .dataset; a handle."""
    from torch.utils.data import TensorDataset

    class Batches:
        def __init__(self):
            self.dataset = TensorDataset(x, y)
            self.batch_size = batch_size

        def __len__(self):
            return math.ceil(len(x) / batch_size)

        def __iter__(self):
            for i in range(0, len(x), batch_size):
                yield x[i:i + batch_size].clone(), y[i:i + batch_size].clone()

    return Batches()


def optimizer_for(model, kind, lr):
    """torch.optim.SGD or Adam over the model's parameters; a handle."""
    return getattr(torch.optim, kind)(model.parameters(), lr=lr)


def recording_sgd(model):
    """SGD with lr 0 (the weights never move) that records the gradients each step() is asked to apply."""
    class RecordingSGD(torch.optim.SGD):
        def __init__(self, params):
            params = list(params)
            super().__init__(params, lr=0.0)
            self.watched = params
            self.seen = []

        def step(self, closure=None):
            self.seen.append(torch.cat([(torch.zeros_like(p) if p.grad is None else p.grad.detach()).reshape(-1)
                                        for p in self.watched]))
            return super().step(closure)

    return RecordingSGD(model.parameters())


def seen_gradients(optimizer):
    """The flattened gradients the recording SGD saw, one per step()."""
    return list(optimizer.seen)


def recorded_calls(model):
    """The tiny network's (training, grad enabled) per call, and whether each parameter has a .grad."""
    return list(model.calls), [p.grad is not None for p in model.parameters()]


def parameters_of(model):
    return [p.detach() for p in model.parameters()]


def state_of(model):
    return dict(model.state_dict())


# --- the judge's side: data, the reference network and loops ------------------------------------


def _make_images(n: int, num_classes: int, seed: int):
    """(n, 3, 32, 32) float32 images and (n,) int64 labels; the class sets colour and stripes."""
    g = torch_generator(seed)
    k = torch.arange(num_classes, dtype=torch.float32) * (2 * math.pi / num_classes)
    colours = 1.5 * torch.stack([torch.cos(k), torch.sin(k),
                                 (torch.arange(num_classes) % 2).to(torch.float32) * 2 - 1], 1)
    theta = torch.arange(num_classes, dtype=torch.float32) * (math.pi / num_classes)
    freq = 2.0 + (torch.arange(num_classes) % 3).to(torch.float32)
    y = (torch.arange(n) % num_classes)[torch.randperm(n, generator=g)]
    ii = torch.arange(32, dtype=torch.float32).view(32, 1)
    jj = torch.arange(32, dtype=torch.float32).view(1, 32)
    phase = (torch.rand(n, generator=g) * 2 * math.pi).view(n, 1, 1)
    t, f = theta[y].view(n, 1, 1), freq[y].view(n, 1, 1)
    stripes = torch.sin(2 * math.pi * f * (ii * torch.cos(t) + jj * torch.sin(t)) / 32 + phase)
    x = colours[y].view(n, 3, 1, 1) + stripes.unsqueeze(1) + 0.5 * randn(n, 3, 32, 32, seed=seed + 1)
    return x, y


class _Tiny(nn.Module):
    """Conv -> BatchNorm -> ReLU -> (Dropout) -> Linear on (N, 3, 8, 8), seeded weights: the
    reference copy of the network the learner's process builds with tiny_network."""

    def __init__(self, num_classes: int, dropout: bool, seed: int):
        super().__init__()
        layers = [nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten()]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers.append(nn.Linear(36, num_classes))
        self.net = nn.Sequential(*layers)
        self.num_classes, self.dropout = num_classes, dropout
        with torch.no_grad():
            for i, p in enumerate(self.net.parameters()):
                p.copy_(randn(*p.shape, seed=seed + i) * 0.5)

    def forward(self, x):
        return self.net(x)


def _learner_tiny(sub, reference: _Tiny, *, training: bool = True, device=None):
    """The same network, with the same weights, in the learner's process (a handle)."""
    return sub.run(tiny_network, reference.num_classes, reference.dropout, reference.state_dict(), training,
                   device)


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def _flat_grads(params) -> torch.Tensor:
    return torch.cat([(torch.zeros_like(p) if p.grad is None else p.grad.detach()).reshape(-1) for p in params])


def _tiny_data(n: int, num_classes: int, seed: int):
    return randn(n, 3, 8, 8, seed=seed), randint(0, num_classes, (n,), seed=seed + 1)


def _batches(x, y, batch_size: int):
    return list(zip(x.split(batch_size), y.split(batch_size)))


def _reference_epoch(model, batches, optimizer, *, zero_grad: bool = True) -> list[float]:
    model.train()
    losses = []
    for x, y in batches:
        if zero_grad:
            optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _run_train_epoch(sub, model, loader, optimizer):
    return check_float(sub.train_epoch(model, loader, optimizer, CPU), "train_epoch(...)")


# --- SmallCNN --------------------------------------------------------------------------------------

def _small_cnn(sub, *args):
    model = sub.SmallCNN(*args)
    is_module, count = sub.run(cnn_facts, model)
    if is_module is not True:
        raise Feedback("SmallCNN(...) is not an nn.Module.")
    if type(count) is not int:
        raise Feedback("SmallCNN's parameters could not be counted: they should be tensors.")
    if count == 0:
        raise Feedback("SmallCNN has no parameters: create its layers in __init__ as attributes "
                       "(or inside nn.Sequential), so that they are registered.")
    if count > MAX_PARAMETERS:
        raise Feedback(f"SmallCNN has {count:,} parameters; keep it under {MAX_PARAMETERS:,} (a few "
                       "tens of thousands are plenty here) so that it trains in seconds on a CPU.")
    return model


def _accuracy(scores, y, num_classes: int, name: str) -> float:
    """The fraction of rows of the learner's scores whose highest entry is the label."""
    check_array(scores, name, shape=(len(y), num_classes), kind="tensor")
    return (scores.argmax(1) == y).float().mean().item()


@pytest.mark.points(2)
@pytest.mark.parametrize("num_classes, batch", [(None, 1), (10, 4), (3, 2)], ids=["default-1", "10-4", "3-2"])
def test_small_cnn_output_shape(sub, num_classes, batch):
    """SmallCNN(num_classes) maps (N, 3, 32, 32) images to (N, num_classes) scores."""
    model = _small_cnn(sub) if num_classes is None else _small_cnn(sub, num_classes)
    classes = 10 if num_classes is None else num_classes
    x = randn(batch, 3, 32, 32, seed=batch)
    try:
        out = sub.run(cnn_scores, model, x)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        kind, text = getattr(exc, "type_name", type(exc).__name__), getattr(exc, "message", None) or str(exc)
        raise Feedback(f"SmallCNN({classes})(x) with x of shape {tuple(x.shape)} raised "
                       f"{kind}: {text}\nCheck the sizes: a 3 x 3 convolution with "
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
    losses = sub.run(train_with_adam, model, x, y, 16, 3, 3e-3)
    record_curve("your SmallCNN (per batch)", losses)
    accuracy = _accuracy(sub.run(cnn_scores, model, x_test), y_test, 10, "SmallCNN(10)(x_test)")
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
    reference = _Tiny(3, dropout=False, seed=50)
    no_zero = deepcopy(reference)
    initial = _flat(reference.parameters()).clone()
    model = _learner_tiny(sub, reference)
    loader = sub.run(loader_of, x, y, 16)
    optimizer = sub.run(optimizer_for, model, "SGD", 0.5)
    got = _run_train_epoch(sub, model, loader, optimizer)
    weights = _flat(sub.run(parameters_of, model))
    batches = _batches(x, y, 16)
    losses = _reference_epoch(reference, batches, torch.optim.SGD(reference.parameters(), lr=0.5))
    # The weights a missing zero_grad would leave, for naming that mistake.
    _reference_epoch(no_zero, batches, torch.optim.SGD(no_zero.parameters(), lr=0.5), zero_grad=False)
    assert_close(got, sum(losses) / len(losses), "train_epoch's return value (the mean batch loss)",
                 rtol=1e-4, atol=1e-6, sizes={"the number of batches": len(losses), "the number of samples": len(x)},
                 diagnose=[("returned the sum of the batch losses instead of their mean", sum(losses)),
                           ("returned only the last batch's loss, not the mean over the epoch", losses[-1]),
                           ("returned only the first batch's loss, not the mean over the epoch", losses[0])],
                 hint="the mean of loss.item() over the batches, with the loss computed before each step")
    assert_close(weights, _flat(reference.parameters()),
                 "the weights after one epoch of SGD", rtol=1e-4, atol=1e-5,
                 diagnose=[("the gradients are not zeroed every step, so they accumulate across "
                            "batches: call optimizer.zero_grad() before each backward()",
                            _flat(no_zero.parameters())),
                           ("the optimizer never updated the weights: call optimizer.step() after "
                            "loss.backward()", initial)],
                 hint="per batch: zero_grad(), loss = F.cross_entropy(model(inputs), targets), "
                      "loss.backward(), optimizer.step()")


@pytest.mark.points(3)
def test_train_epoch_zeroes_gradients(sub):
    """Every optimizer.step() sees the gradient of its own batch only (zero_grad every step)."""
    x, y = _tiny_data(64, 4, seed=7)
    reference = _Tiny(4, dropout=False, seed=70)
    model = _learner_tiny(sub, reference)
    optimizer = sub.run(recording_sgd, model)
    _run_train_epoch(sub, model, sub.run(loader_of, x, y, 16), optimizer)
    seen = sub.run(seen_gradients, optimizer)
    batches = _batches(x, y, 16)
    if len(seen) != len(batches):
        raise Feedback(f"optimizer.step() was called {len(seen)} times for {len(batches)} "
                       "batches; call it once per batch, after loss.backward().")
    reference.train()
    total = None
    for k, (xb, yb) in enumerate(batches):
        reference.zero_grad()
        cross_entropy(reference(xb), yb).backward()
        want = _flat_grads(list(reference.parameters()))
        total = want.clone() if total is None else total + want
        assert_close(seen[k], want, f"the gradients at optimizer.step() for batch {k + 1}",
                     rtol=1e-4, atol=1e-6,
                     diagnose=[("the gradients are not zeroed every step, so they accumulate across "
                                "batches: call optimizer.zero_grad() before each backward()", total),
                               ("the gradients are zeroed after backward() and before step(), so "
                                "step() sees none: zero them before the forward pass", torch.zeros_like(want))],
                     hint="compute the loss of this batch with F.cross_entropy(model(inputs), targets)")


@pytest.mark.points(2)
def test_train_epoch_sets_train_mode(sub):
    """train_epoch puts the model in training mode (it arrives in eval mode) and records history."""
    x, y = _tiny_data(32, 3, seed=9)
    model = _learner_tiny(sub, _Tiny(3, dropout=True, seed=90), training=False)
    batches = math.ceil(32 / 16)
    _run_train_epoch(sub, model, sub.run(loader_of, x, y, 16), sub.run(optimizer_for, model, "SGD", 0.1))
    calls, _ = sub.run(recorded_calls, model)
    if len(calls) < batches:
        raise Feedback(f"train_epoch called the model {len(calls)} times for {batches} batches.")
    if not all(training is True for training, _ in calls):
        raise Feedback("The model was in eval mode while train_epoch trained it (Dropout off, "
                       "BatchNorm frozen at its running statistics). Likely mistake: no "
                       "model.train() at the start of train_epoch.")
    if not all(grad is True for _, grad in calls):
        raise Feedback("train_epoch ran the model with gradient recording off (torch.no_grad()): "
                       "nothing can be learnt that way.")


@pytest.mark.points(1)
def test_train_epoch_moves_batches(sub):
    """train_epoch moves every batch (inputs and targets) to the device before using it."""
    x, y = _tiny_data(32, 3, seed=11)
    model = _learner_tiny(sub, _Tiny(3, dropout=False, seed=110))
    optimizer = sub.run(optimizer_for, model, "SGD", 0.1)
    got, facts = sub.run(on_sim_device, "train_epoch", model, x, y, 16, optimizer)
    verdict(facts, "train_epoch")
    check_float(got, "train_epoch(...)")
    calls, _ = sub.run(recorded_calls, model)
    if len(calls) < 2:  # nothing moved is nothing learnt: the batches must reach the model
        raise Feedback(f"train_epoch called the model {len(calls)} times for 2 batches.")


# --- evaluate --------------------------------------------------------------------------------------

def _evaluate_setup(sub, num_classes: int, n: int, n_correct: int, seed: int, device=None):
    """A tiny model in training mode (in the learner's process: a handle), its starting state, its
    inputs, and labels such that exactly n_correct of its predictions are right."""
    reference = _Tiny(num_classes, dropout=True, seed=seed)
    x = randn(n, 3, 8, 8, seed=seed + 1)
    with torch.no_grad():
        predictions = reference.eval()(x).argmax(1)
    correct = torch.randperm(n, generator=torch_generator(seed + 2))[:n_correct]
    y = (predictions + 1) % num_classes
    y[correct] = predictions[correct]
    model = _learner_tiny(sub, reference, training=True, device=device)
    return model, reference, x, y


def _run_evaluate(sub, model, loader):
    return check_float(sub.evaluate(model, loader, CPU), "evaluate(...)")


@pytest.mark.points(3)
@pytest.mark.parametrize("n, n_correct, batch", [(40, 23, 16), (1, 1, 1), (30, 9, 30)])
def test_evaluate_accuracy(sub, n, n_correct, batch):
    """evaluate returns the fraction of correct predictions over all samples (in eval mode)."""
    model, reference, x, y = _evaluate_setup(sub, 4, n, n_correct, seed=200 + n)
    got = _run_evaluate(sub, model, sub.run(loader_of, x, y, batch))
    want = n_correct / n
    per_batch = []
    with torch.no_grad():
        for xb, yb in _batches(x, y, batch):
            per_batch.append((reference(xb).argmax(1) == yb).float().mean().item())
    diagnose = [("returned the number of correct predictions, not the fraction (divide by the "
                 "number of samples)", float(n_correct)),
                ("returned a percentage; return a fraction in [0, 1]", 100.0 * want)]
    if len(per_batch) > 1:
        diagnose.append(("averaged the per-batch accuracies; the last batch is smaller, so count the "
                         "correct predictions and divide by the total number of samples",
                         sum(per_batch) / len(per_batch)))
    assert_close(got, want, f"evaluate on {n} samples with {n_correct} correct predictions",
                 rtol=1e-6, atol=1e-6, diagnose=diagnose,
                 sizes={"the number of samples": n, "the number of batches": math.ceil(n / batch)},
                 hint="call model.eval(), predict outputs.argmax(dim=1), and divide the number of "
                      "correct predictions by the number of samples")


@pytest.mark.points(2)
def test_evaluate_sets_eval_mode(sub):
    """evaluate runs the model in eval mode (it arrives in training mode)."""
    model, _, x, y = _evaluate_setup(sub, 3, 24, 10, seed=300)
    _run_evaluate(sub, model, sub.run(loader_of, x, y, 8))
    calls, _ = sub.run(recorded_calls, model)
    if not calls:
        raise Feedback("evaluate never called the model.")
    if any(training is not False for training, _ in calls):
        raise Feedback("evaluate ran the model in training mode: Dropout dropped units and BatchNorm "
                       "used the batch's statistics. Likely mistake: no model.eval() in evaluate.")


@pytest.mark.points(2)
def test_evaluate_records_no_history(sub):
    """evaluate runs the model without recording autograd history (torch.no_grad)."""
    model, _, x, y = _evaluate_setup(sub, 3, 24, 10, seed=400)
    _run_evaluate(sub, model, sub.run(loader_of, x, y, 8))
    calls, has_grad = sub.run(recorded_calls, model)
    if not calls:
        raise Feedback("evaluate never called the model.")
    if any(grad is not False for _, grad in calls):
        raise Feedback("evaluate recorded autograd history while predicting: slower and it holds "
                       "memory for nothing. Likely mistake: evaluate records history; wrap the "
                       "loop in `with torch.no_grad():`.")
    if any(flag is not False for flag in has_grad):
        raise Feedback("After evaluate, the model's parameters have gradients: evaluate must not "
                       "call backward().")


@pytest.mark.points(2)
def test_evaluate_leaves_model_unchanged(sub):
    """evaluate leaves the weights and BatchNorm's running statistics unchanged."""
    model, reference, x, y = _evaluate_setup(sub, 3, 24, 10, seed=500)
    before = reference.state_dict()
    got = _run_evaluate(sub, model, sub.run(loader_of, x, y, 8))
    # Unchanged counts only for an evaluate that evaluated: the right accuracy, from the model.
    assert_close(got, 10 / 24, "evaluate on 24 samples with 10 correct predictions", rtol=1e-6, atol=1e-6)
    after = sub.run(state_of, model)
    for name, old in before.items():
        new = after.get(name) if isinstance(after, dict) else None
        if not isinstance(new, torch.Tensor) or tuple(new.shape) != tuple(old.shape) or not bool((new == old).all()):
            what = "BatchNorm's running statistics" if "running" in name or "num_batches" in name else f"the weight {name}"
            raise Feedback(f"evaluate changed {what}. Likely mistake: no model.eval() in evaluate; "
                           "in training mode BatchNorm updates its running averages on every batch.")


@pytest.mark.points(1)
def test_evaluate_moves_batches(sub):
    """evaluate moves every batch (inputs and targets) to the device before using it."""
    model, _, x, y = _evaluate_setup(sub, 3, 24, 10, seed=600)
    got, facts = sub.run(on_sim_device, "evaluate", model, x, y, 8)
    verdict(facts, "evaluate")
    assert_close(check_float(got, "evaluate(...)"), 10 / 24, "evaluate on 24 samples with 10 correct "
                 "predictions (batches handed over in host memory)", rtol=1e-6, atol=1e-6)


# --- on a real GPU ----------------------------------------------------------------------------

@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_train_epoch_on_gpu(sub):
    """train_epoch on a GPU: batches from host memory reach the model, weights move like a reference loop."""
    cuda = torch.device("cuda")
    x, y = _tiny_data(48, 3, seed=13)
    reference = _Tiny(3, dropout=False, seed=130)
    model = _learner_tiny(sub, reference, device=cuda)
    reference = reference.to(cuda)
    loader = sub.run(loader_of, x, y, 16)
    optimizer = sub.run(optimizer_for, model, "SGD", 0.5)
    got = on_gpu("train_epoch(..., device=cuda)",
                  lambda: sub.train_epoch(model, loader, optimizer, cuda))
    got = check_float(got, "train_epoch(..., device=cuda)")
    weights = _flat(sub.run(parameters_of, model)).cpu()
    batches = [(xb.to(cuda), yb.to(cuda)) for xb, yb in _batches(x, y, 16)]
    losses = _reference_epoch(reference, batches, torch.optim.SGD(reference.parameters(), lr=0.5))
    assert_close(got, sum(losses) / len(losses), "train_epoch's return value on a GPU", rtol=1e-3,
                 atol=1e-5, hint="the mean of loss.item() over the batches")
    assert_close(weights, _flat(reference.parameters()).cpu(),
                 "the weights after one epoch on a GPU", rtol=1e-3, atol=1e-4,
                 hint="per batch: move inputs and targets with .to(device), zero_grad(), forward, "
                      "backward(), step()")


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_evaluate_on_gpu(sub):
    """evaluate on a GPU: batches from host memory, the accuracy a reference loop measures there."""
    cuda = torch.device("cuda")
    model, reference, x, y = _evaluate_setup(sub, 3, 24, 10, seed=700, device=cuda)
    loader = sub.run(loader_of, x, y, 8)
    got = on_gpu("evaluate(..., device=cuda)", lambda: sub.evaluate(model, loader, cuda))
    got = check_float(got, "evaluate(..., device=cuda)")
    frozen = reference.to(cuda).eval()
    with torch.no_grad():
        right = sum(int((frozen(xb.to(cuda)).argmax(1).cpu() == yb).sum()) for xb, yb in _batches(x, y, 8))
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
    optimizer = sub.run(optimizer_for, model, "Adam", 3e-3)
    train_loader, test_loader = sub.run(loader_of, x, y, 16), sub.run(loader_of, x_test, y_test, 50)
    losses = [_run_train_epoch(sub, model, train_loader, optimizer) for _ in range(3)]
    record_curve("yours (per epoch)", losses)
    accuracy = _run_evaluate(sub, model, test_loader)
    want = _accuracy(sub.run(cnn_scores, model, x_test), y_test, 10, "SmallCNN(10)(x_test)")
    assert_close(accuracy, want, "evaluate(model, test_loader) after training", rtol=1e-6, atol=1e-6)
    if not losses[-1] < losses[0]:
        raise Feedback(f"The mean training loss did not fall over 3 epochs: {[round(v, 4) for v in losses]}.")
    if accuracy < 0.9:
        raise Feedback(f"After 3 epochs the test accuracy is {accuracy:.1%} (losses per epoch: "
                       f"{[round(v, 4) for v in losses]}); expected at least 90 % on this easy set.")
