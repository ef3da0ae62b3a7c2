"""Hidden checks for `finetune_resnet18`: transfer learning with a frozen ResNet18 backbone.

Oracles: torchvision's resnet18 (built here, with weights=None: nothing is downloaded), training
and evaluation loops written here with torch.nn.functional.cross_entropy, and a small synthetic
task (images whose class is their colour) that a frozen random backbone plus a trained fc
learns in a few epochs. Images are 32 x 32 to keep every check fast on a CPU.
"""
# Not yet written for the judge's boundary: these checks run in the learner's process
# (grader/inprocess.py), with the recording tripwire.
IN_LEARNER_PROCESS = True

import copy

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks.devices import SIM_DEVICE, Simulated, on_host, same_device_error
from grader.checks.helpers import (Feedback, assert_close, check_float, describe, randn, record_curve,
                                   torch_generator)
from grader.checks.isolate import swapped

# Bound at import, before any submission is loaded (it may reassign module attributes).
_resnet18 = torchvision.models.resnet18
_ResNet = torchvision.models.ResNet
_Linear = nn.Linear
_Module = nn.Module
_Optimizer = torch.optim.Optimizer
_SGD = torch.optim.SGD
_cross_entropy = F.cross_entropy
_deepcopy = copy.deepcopy
_no_grad = torch.no_grad
_tensor = torch.tensor
_arange = torch.arange
_equal = torch.equal
_allclose = torch.allclose
_Tensor = torch.Tensor
_device = torch.device
_DataLoader = DataLoader
_TensorDataset = TensorDataset
_cuda_is_available = torch.cuda.is_available
_mps_is_available = torch.backends.mps.is_available
_mps_is_built = torch.backends.mps.is_built

CPU = _device("cpu")
SIZE = 32                      # image side: ResNet18 still works (its last feature map is 1 x 1)
MEAN = _tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = _tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
COLOURS = _tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0],
                   [1.0, 0.0, 1.0]])


def colour_images(n, seed, classes=4, size=SIZE):
    """n normalised images (n, 3, size, size) whose class is their colour, plus labels (n,)."""
    labels = _arange(n) % classes
    pixels = COLOURS[labels].view(n, 3, 1, 1) * 0.8 + 0.1 + 0.1 * randn(n, 3, size, size, seed=seed)
    return (pixels - MEAN) / STD, labels


def loader(images, labels, batch_size, shuffle_seed=None):
    generator = torch_generator(shuffle_seed) if shuffle_seed is not None else None
    return _DataLoader(_TensorDataset(images, labels), batch_size=batch_size,
                       shuffle=shuffle_seed is not None, generator=generator)


def reference_model(num_classes, seed):
    """ResNet18 as the exercise asks for it, built here: frozen backbone, new fc."""
    model = _resnet18(weights=None)
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = _Linear(512, num_classes)
    with _no_grad():
        model.fc.weight.copy_(randn(num_classes, 512, seed=seed) * 0.05)
        model.fc.bias.copy_(randn(num_classes, seed=seed + 1) * 0.05)
    return model


def reference_epoch(model, batches, lr, *, zero_grad=True, train_mode=True):
    """One epoch of SGD on model.fc (the oracle); returns the mean batch loss."""
    model.train(train_mode)
    optimizer = _SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for images, labels in batches:
        if zero_grad:
            optimizer.zero_grad()
        loss = _cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def reference_accuracy(model, batches, *, eval_mode=True):
    model.train(not eval_mode)
    with _no_grad():
        right = [int((model(x).argmax(1) == y).sum()) for x, y in batches]
    return right


def buffers(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


# --- pick_device ----------------------------------------------------------------------------

class _Pretend:
    """Pretend that CUDA and MPS are (not) available, restoring the real functions after."""

    def __init__(self, cuda, mps):
        self.cuda, self.mps = cuda, mps

    def __enter__(self):
        torch.cuda.is_available = lambda: self.cuda
        torch.backends.mps.is_available = lambda: self.mps
        torch.backends.mps.is_built = lambda: self.mps
        return self

    def __exit__(self, *exc):
        torch.cuda.is_available = _cuda_is_available
        torch.backends.mps.is_available = _mps_is_available
        torch.backends.mps.is_built = _mps_is_built
        return False


@pytest.mark.points(1)
@pytest.mark.parametrize("cuda, mps, want", [(True, True, "cuda"), (True, False, "cuda"),
                                              (False, True, "mps"), (False, False, "cpu")])
def test_pick_device(sub, cuda, mps, want):
    """pick_device prefers cuda, then mps, then the cpu."""
    with _Pretend(cuda, mps):
        got = sub.pick_device()
    situation = (f"with CUDA {'available' if cuda else 'unavailable'} and MPS"
                 f" {'available' if mps else 'unavailable'}")
    if not isinstance(got, _device):
        raise Feedback(f"pick_device() {situation} returned {describe(got)}; return a"
                       f" torch.device, e.g. torch.device({want!r}).")
    if got.type != want:
        mistake = ""
        if want == "cuda":
            mistake = " Likely mistake: torch.cuda.is_available() was not checked first."
        elif want == "mps":
            mistake = " Check torch.backends.mps.is_available() when there is no CUDA."
        raise Feedback(f"pick_device() {situation} returned {got}, expected"
                       f" torch.device({want!r}).{mistake} Call the is_available() functions"
                       " inside pick_device, in the order cuda, mps, cpu.")


# --- build_model ----------------------------------------------------------------------------

def built(sub, num_classes):
    model = sub.build_model(num_classes)
    if not isinstance(model, _Module):
        raise Feedback(f"build_model({num_classes}) should return an nn.Module, got {describe(model)}.")
    return model


@pytest.mark.points(2)
@pytest.mark.parametrize("num_classes", [5, 2])
def test_build_model_new_head(sub, num_classes):
    """build_model replaces fc by a trainable nn.Linear(512, num_classes)."""
    model = built(sub, num_classes)
    fc = getattr(model, "fc", None)
    if not isinstance(fc, _Linear):
        raise Feedback(f"build_model({num_classes}).fc should be an nn.Linear, got {describe(fc)}.")
    if (fc.in_features, fc.out_features) == (512, 1000):
        raise Feedback(f"build_model({num_classes}).fc is still ImageNet's Linear(512, 1000)."
                       " Likely mistake: fc was not replaced; set"
                       " model.fc = nn.Linear(512, num_classes).")
    if (fc.in_features, fc.out_features) != (512, num_classes):
        raise Feedback(f"build_model({num_classes}).fc is Linear({fc.in_features},"
                       f" {fc.out_features}), expected Linear(512, {num_classes}).")
    if not (fc.weight.requires_grad and (fc.bias is None or fc.bias.requires_grad)):
        raise Feedback(f"build_model({num_classes}).fc is frozen (requires_grad False); the new"
                       " head is the part that learns. Freeze the backbone first, then replace fc.")
    if fc.bias is None:
        raise Feedback(f"build_model({num_classes}).fc has no bias; use nn.Linear(512, num_classes).")
    model.eval()
    for n in (1, 3):
        images = randn(n, 3, SIZE, SIZE, seed=40 + n)
        with _no_grad():
            out = model(images)
        if not isinstance(out, _Tensor) or tuple(out.shape) != (n, num_classes):
            raise Feedback(f"build_model({num_classes}) maps images ({n}, 3, {SIZE}, {SIZE}) to"
                           f" {describe(out)}, expected logits of shape ({n}, {num_classes}).")


@pytest.mark.points(2)
def test_build_model_frozen_backbone(sub):
    """build_model freezes every backbone parameter (requires_grad False), not fc."""
    model = built(sub, 4)
    params = list(model.named_parameters())
    trainable = [name for name, p in params if p.requires_grad]
    backbone = [name for name, _ in params if not name.startswith("fc.")]
    if not backbone:
        raise Feedback("build_model(4) has no backbone parameters; build it with"
                       " torchvision.models.resnet18(weights=weights).")
    unfrozen = [name for name in trainable if not name.startswith("fc.")]
    if unfrozen:
        whole = len(unfrozen) == len(backbone)
        raise Feedback(f"build_model(4) leaves {len(unfrozen)} of the {len(backbone)} backbone"
                       f" parameters trainable (e.g. {unfrozen[0]!r})."
                       + (" Likely mistake: the backbone was not frozen; set"
                          " p.requires_grad = False for every parameter before replacing fc."
                          if whole else " Freeze every backbone parameter, not only some."))
    if sorted(trainable) != ["fc.bias", "fc.weight"]:
        raise Feedback(f"build_model(4): the trainable parameters are {trainable}, expected"
                       " exactly fc.weight and fc.bias.")


@pytest.mark.points(1)
def test_build_model_is_resnet18(sub):
    """build_model builds torchvision's resnet18 (every layer, every shape)."""
    model = built(sub, 3)
    if not isinstance(model, _ResNet):
        raise Feedback(f"build_model(3) returned a {type(model).__name__}; build it with"
                       " torchvision.models.resnet18(weights=weights) and change its fc.")
    with _device("meta"):   # the reference architecture, without allocating it
        oracle = _resnet18(weights=None)
        oracle.fc = _Linear(512, 3)
    want = {k: tuple(v.shape) for k, v in oracle.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if got != want:
        differ = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        raise Feedback(f"build_model(3) differs from resnet18 with a Linear(512, 3) head in"
                       f" {len(differ)} state_dict entries (e.g. {differ[:3]}). Use"
                       " torchvision.models.resnet18 and replace only fc.")


# --- make_optimizer -------------------------------------------------------------------------

def optimizer_params(optimizer, call):
    if not isinstance(optimizer, _Optimizer):
        raise Feedback(f"{call} should return a torch.optim.Optimizer, got {describe(optimizer)}.")
    return [p for group in optimizer.param_groups for p in group["params"]]


@pytest.mark.points(2)
def test_make_optimizer_trainable_only(sub):
    """make_optimizer holds exactly the trainable parameters (fc), with the given lr."""
    model = reference_model(3, seed=1)
    call = "make_optimizer(model, lr=0.02)"
    optimizer = sub.make_optimizer(model, lr=0.02)
    params = optimizer_params(optimizer, call)
    ids = {id(p) for p in params}
    frozen = [name for name, p in model.named_parameters() if id(p) in ids and not p.requires_grad]
    if frozen:
        raise Feedback(f"{call} holds {len(params)} parameter tensors, {len(frozen)} of them"
                       f" frozen (e.g. {frozen[0]!r}). Likely mistake: the optimizer was given all"
                       " parameters; give it only those with requires_grad True.")
    missing = [name for name, p in model.named_parameters() if p.requires_grad and id(p) not in ids]
    if missing:
        raise Feedback(f"{call} does not hold the trainable parameters {missing}.")
    if len(params) != len(ids):
        raise Feedback(f"{call} holds some parameters twice.")
    lrs = sorted({group.get("lr") for group in optimizer.param_groups})
    if lrs != [0.02]:
        raise Feedback(f"{call} has learning rate(s) {lrs}, expected 0.02: pass lr=lr.")


@pytest.mark.points(1)
def test_make_optimizer_follows_requires_grad(sub):
    """make_optimizer takes every parameter with requires_grad True (here fc and layer4)."""
    model = reference_model(3, seed=2)
    for p in model.layer4.parameters():
        p.requires_grad_(True)
    call = "make_optimizer(model with fc and layer4 trainable)"
    params = optimizer_params(sub.make_optimizer(model), call)
    want = {id(p) for p in model.parameters() if p.requires_grad}
    got = {id(p) for p in params}
    if got != want:
        raise Feedback(f"{call} holds {len(got & want)} of the {len(want)} trainable parameter"
                       f" tensors and {len(got - want)} frozen ones. Select the parameters by"
                       " requires_grad (p for p in model.parameters() if p.requires_grad),"
                       " not by name, so that unfreezing more layers later just works.")


# --- train_one_epoch ------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("n, batch_size", [(8, 2), (12, 4)])
def test_train_one_epoch(sub, n, batch_size):
    """train_one_epoch: one SGD pass in train mode; returns the mean loss; fc learns like the oracle."""
    images, labels = colour_images(n, seed=10 + n, classes=3)
    batches = list(zip(images.split(batch_size), labels.split(batch_size)))
    model = reference_model(3, seed=n)
    model.eval()        # train_one_epoch must switch to train mode itself
    mine = _deepcopy(model)
    initial = model.fc.weight.detach().clone()
    lr = 0.5
    losses = reference_epoch(model, batches, lr)
    wrong = {"no_zero": _deepcopy(mine), "eval": _deepcopy(mine)}
    wrong_losses = reference_epoch(wrong["no_zero"], batches, lr, zero_grad=False)
    reference_epoch(wrong["eval"], batches, lr, train_mode=False)
    optimizer = _SGD([p for p in mine.parameters() if p.requires_grad], lr=lr)
    call = f"train_one_epoch (on {n} images in batches of {batch_size})"
    got = check_float(sub.train_one_epoch(mine, loader(images, labels, batch_size), optimizer, CPU),
                      call)
    mean = sum(losses) / len(losses)
    assert_close(mine.fc.weight, model.fc.weight, f"fc.weight after {call}", rtol=1e-4, atol=1e-6,
                 diagnose=[("optimizer.zero_grad() is not called before each backward(), so"
                            " gradients pile up across batches", wrong["no_zero"].fc.weight),
                           ("the model was not put in train mode (model.train()): batch norm"
                            " must use the batch statistics while training", wrong["eval"].fc.weight),
                           ("the optimizer never stepped (call optimizer.step())", initial)],
                 hint="each batch: optimizer.zero_grad(), loss = cross_entropy(model(x), y),"
                      " loss.backward(), optimizer.step().")
    running = [k for k, v in model.state_dict().items() if "running" in k]
    state = mine.state_dict()
    if any(not _allclose(state[k], model.state_dict()[k], rtol=1e-4, atol=1e-6) for k in running):
        raise Feedback(f"{call}: the batch-norm running statistics differ from one training pass"
                       " in train mode. Call model.train() once at the start, and forward each"
                       " batch once.")
    assert_close(got, mean, f"the loss returned by {call}", rtol=1e-4, atol=1e-6,
                 diagnose=[("returned the sum of the batch losses; return their mean", sum(losses)),
                           ("returned the last batch's loss; return the mean over the batches",
                            losses[-1]),
                           ("returned the first batch's loss; return the mean over the batches",
                            losses[0]),
                           ("optimizer.zero_grad() is not called before each backward()",
                            sum(wrong_losses) / len(wrong_losses))])


# --- evaluate -------------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("n, batch_size", [(7, 1), (13, 5)])
def test_evaluate_accuracy(sub, n, batch_size):
    """evaluate returns the fraction of correct predictions, in eval mode."""
    model = reference_model(4, seed=20 + n)
    images = randn(n, 3, SIZE, SIZE, seed=30 + n)
    model.eval()
    with _no_grad():
        predicted = model(images).argmax(1)
    # Make a known number of labels right: the first `right` agree with the predictions.
    right = (2 * n) // 3
    labels = predicted.clone()
    labels[right:] = (labels[right:] + 1) % 4
    batches = list(zip(images.split(batch_size), labels.split(batch_size)))
    train_right = reference_accuracy(_deepcopy(model), batches, eval_mode=False) if batch_size > 1 else None
    model.train()       # evaluate must switch to eval mode itself
    call = f"evaluate (on {n} images in batches of {batch_size})"
    got = check_float(sub.evaluate(model, loader(images, labels, batch_size), CPU), call)
    accuracy = right / n
    per_batch = []
    start = 0
    for _, batch_labels in batches:
        k = len(batch_labels)
        per_batch.append(sum(1 for i in range(start, start + k) if i < right) / k)
        start += k
    diagnose = [("returned a percentage; return a fraction in [0, 1]", accuracy * 100),
                ("returned the number of correct predictions; divide by the number of images",
                 float(right)),
                ("averaged the per-batch accuracies, which weighs a short last batch too much;"
                 " divide the total correct by the total number of images",
                 sum(per_batch) / len(per_batch)),
                ("returned the error rate (wrong / total) instead of the accuracy", 1 - accuracy)]
    if train_right is not None:
        diagnose.append(("model.eval() was not called: batch norm used the batch statistics",
                         sum(train_right) / n))
    assert_close(got, accuracy, f"the accuracy returned by {call}", rtol=1e-6, atol=1e-9,
                 diagnose=diagnose, hint="predictions = model(images).argmax(dim=1); accuracy ="
                                         " (predictions == labels).sum() / number of images.")


@pytest.mark.points(2)
def test_evaluate_leaves_model_unchanged(sub):
    """evaluate uses eval mode and no_grad: running statistics unchanged, no history recorded."""
    model = reference_model(4, seed=3)
    images, labels = colour_images(12, seed=4)
    model.train()
    before = buffers(model)
    recorded = []
    handle = model.register_forward_hook(
        lambda module, args, output: recorded.append(bool(getattr(output, "requires_grad", False))))
    try:
        check_float(sub.evaluate(model, loader(images, labels, 4), CPU), "evaluate(...)")
    finally:
        handle.remove()
    if not recorded:
        raise Feedback("evaluate(...) never called the model on the batches.")
    changed = [k for k, v in model.state_dict().items() if not _equal(v, before[k])]
    if any("running" in k or "num_batches" in k for k in changed):
        raise Feedback("evaluate(...) changed the batch-norm running statistics"
                       f" (e.g. {changed[0]!r}). Likely mistake: model.eval() was not called;"
                       " in train mode batch norm updates its running statistics.")
    if changed:
        raise Feedback(f"evaluate(...) changed the model's weights (e.g. {changed[0]!r}); it must"
                       " only measure.")
    if any(recorded):
        raise Feedback("evaluate(...) recorded history for backward: the logits require grad."
                       " Likely mistake: the forward passes are not under torch.no_grad(); wrap"
                       " the loop in `with torch.no_grad():` to save time and memory.")


# --- fine_tune ------------------------------------------------------------------------------

def check_history(history, epochs, call):
    if not isinstance(history, list) or len(history) != epochs:
        raise Feedback(f"{call}: history should be a list of {epochs} dicts (one per epoch), got"
                       f" {describe(history)}.")
    for i, entry in enumerate(history):
        if not isinstance(entry, dict) or set(entry) != {"epoch", "train_loss", "val_accuracy"}:
            keys = sorted(entry) if isinstance(entry, dict) else describe(entry)
            raise Feedback(f"{call}: history[{i}] should be a dict with exactly the keys 'epoch',"
                           f" 'train_loss' and 'val_accuracy', got {keys}.")
        if entry["epoch"] != i + 1:
            raise Feedback(f"{call}: history[{i}]['epoch'] is {entry['epoch']!r}, expected {i + 1}"
                           " (epochs count from 1).")
        check_float(entry["train_loss"], f"{call}: history[{i}]['train_loss']")
        accuracy = check_float(entry["val_accuracy"], f"{call}: history[{i}]['val_accuracy']")
        if not 0.0 <= accuracy <= 1.0:
            raise Feedback(f"{call}: history[{i}]['val_accuracy'] is {accuracy:g}; an accuracy is a"
                           " fraction in [0, 1].")


def fine_tune_data(classes=4):
    train_images, train_labels = colour_images(64, seed=51, classes=classes)
    val_images, val_labels = colour_images(32, seed=52, classes=classes)
    return (loader(train_images, train_labels, 8, shuffle_seed=53),
            loader(val_images, val_labels, 8))


@pytest.mark.points(3)
def test_fine_tune_learns(sub):
    """fine_tune on a small colour task: the loss falls and validation accuracy reaches 0.8."""
    train_loader, val_loader = fine_tune_data()
    call = "fine_tune(train_loader, val_loader, num_classes=4, epochs=4, lr=5e-3, device=cpu)"
    result = sub.fine_tune(train_loader, val_loader, 4, epochs=4, lr=5e-3, device=CPU)
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"{call} should return a tuple (model, history), got {describe(result)}.")
    model, history = result
    if not isinstance(model, _Module):
        raise Feedback(f"{call} should return the trained model first, got {describe(model)}.")
    check_history(history, 4, call)
    fc = getattr(model, "fc", None)
    if not isinstance(fc, _Linear) or fc.out_features != 4:
        raise Feedback(f"{call}: the returned model's fc is {describe(fc)}, expected Linear(512, 4).")
    losses = [entry["train_loss"] for entry in history]
    record_curve("yours (per epoch)", losses)
    if not losses[-1] < 0.7 * losses[0]:
        raise Feedback(f"{call}: the training loss did not fall (per epoch: "
                       + ", ".join(f"{v:.3f}" for v in losses) + "). Check that the optimizer"
                       " holds the fc parameters, that it steps, and that gradients are zeroed"
                       " before each backward().")
    accuracy = history[-1]["val_accuracy"]
    if accuracy < 0.8:
        raise Feedback(f"{call}: validation accuracy after 4 epochs is {accuracy:.3f}, expected at"
                       " least 0.8 on this easy task (images whose class is their colour). Check"
                       " evaluate (model.eval(), argmax over dim 1) and that fc is trained.")
    model.eval()
    with _no_grad():
        right = sum(int((model(x).argmax(1) == y).sum()) for x, y in val_loader)
    assert_close(accuracy, right / 32, f"{call}: history[-1]['val_accuracy']", rtol=1e-6, atol=1e-9,
                 hint="the last epoch's val_accuracy should be evaluate(model, val_loader) of the"
                      " returned model.")


@pytest.mark.points(1)
def test_fine_tune_default_device(sub):
    """fine_tune with device=None asks pick_device()."""
    train_loader, val_loader = fine_tune_data()
    calls = []

    def recording_pick_device():
        calls.append(1)
        return CPU

    with swapped(sub, pick_device=recording_pick_device):
        result = sub.fine_tune(train_loader, val_loader, 4, epochs=1, lr=5e-3)
    if not calls:
        raise Feedback("fine_tune(..., device=None) did not call pick_device(); use"
                       " `device = pick_device() if device is None else device`.")
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"fine_tune(...) should return a tuple (model, history), got {describe(result)}.")
    check_history(result[1], 1, "fine_tune(..., epochs=1)")


class _Weights:
    """Stands for weights="IMAGENET1K_V1": the spy below swaps it for None, so nothing downloads."""

    def __repr__(self):
        return "<the weights given to fine_tune>"


@pytest.mark.points(1)
def test_fine_tune_passes_weights_and_lr(sub):
    """fine_tune builds the model with its `weights` and trains with its `lr`."""
    train_loader, val_loader = fine_tune_data()
    weights, lr = _Weights(), 0.0123
    call = f"fine_tune(..., num_classes=4, epochs=1, lr={lr}, weights=w)"
    built_with, optimizers = [], []
    build_model, train_one_epoch = sub.build_model, sub.train_one_epoch

    def spying_build_model(num_classes, weights=None):
        built_with.append(weights)
        return build_model(num_classes, weights=None)

    def spying_train_one_epoch(model, loader, optimizer, device):
        optimizers.append(optimizer)
        return train_one_epoch(model, loader, optimizer, device)

    with swapped(sub, build_model=spying_build_model, train_one_epoch=spying_train_one_epoch):
        try:
            sub.fine_tune(train_loader, val_loader, 4, epochs=1, lr=lr, device=CPU, weights=weights)
        except (NotImplementedError, Feedback):
            raise
        except Exception as exc:  # noqa: BLE001 - w reached torchvision without build_model
            if built_with:
                raise
            raise Feedback(f"{call} raised {type(exc).__name__}: {exc}. Build the model with"
                           " build_model(num_classes, weights=weights).") from None
    if not built_with:
        raise Feedback(f"{call} did not call build_model; build the model with"
                       " build_model(num_classes, weights=weights).")
    if built_with[0] is not weights:
        raise Feedback(f"{call} called build_model with weights={built_with[0]!r}, not with w."
                       " Likely mistake: `weights` is not passed on, so the pretrained weights are"
                       " never used; call build_model(num_classes, weights=weights).")
    if not optimizers:
        raise Feedback(f"{call} did not call train_one_epoch; train each epoch with"
                       " train_one_epoch(model, train_loader, optimizer, device).")
    lrs = sorted({group.get("lr") for group in optimizers[0].param_groups})
    if lrs != [lr]:
        raise Feedback(f"{call} trained with an optimizer whose learning rate is {lrs}, expected"
                       f" [{lr}]. Likely mistake: `lr` is not passed on; make the optimizer with"
                       " make_optimizer(model, lr=lr).")


# --- moving batches to the device -------------------------------------------------------------
# Without a GPU, grader/checks/devices.py replays a GPU's rules on the CPU: batches arrive in host
# memory, the model lives on a pretend device, and what would fail on a GPU becomes feedback.

class HostBatches:
    """Batches as a DataLoader hands them over, in host memory; len() and .dataset like a DataLoader."""

    def __init__(self, images, labels, batch_size):
        self.dataset = _TensorDataset(images, labels)
        self.batches = [(on_host(x), on_host(y))
                        for x, y in zip(images.split(batch_size), labels.split(batch_size))]

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def simulated_run(what, call):
    simulated = Simulated()
    with simulated:
        got = call(SIM_DEVICE)
    simulated.verdict(what)
    return got


def on_gpu(what, call):
    """call() on a real GPU, with the device error it may raise turned into feedback."""
    try:
        return call()
    except (RuntimeError, TypeError) as exc:
        feedback = same_device_error(exc, what)
        if feedback is None:
            raise
        raise feedback from None


@pytest.mark.points(1)
def test_train_one_epoch_moves_batches(sub):
    """train_one_epoch moves each batch (images and labels) to the device before using it."""
    images, labels = colour_images(8, seed=71, classes=3)
    model = reference_model(3, seed=72)
    optimizer = _SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    batches = HostBatches(images, labels, 4)
    got = simulated_run("train_one_epoch",
                        lambda device: sub.train_one_epoch(model, batches, optimizer, device))
    check_float(got, "train_one_epoch(...)")


@pytest.mark.points(1)
def test_evaluate_moves_batches(sub):
    """evaluate moves each batch to the device (or brings the predictions back) before comparing."""
    model = reference_model(4, seed=73)
    images = randn(10, 3, SIZE, SIZE, seed=74)
    model.eval()
    with _no_grad():
        labels = model(images).argmax(1)
    labels[6:] = (labels[6:] + 1) % 4        # 6 of 10 right
    batches = HostBatches(images, labels, 4)
    got = simulated_run("evaluate", lambda device: sub.evaluate(model, batches, device))
    assert_close(check_float(got, "evaluate(...)"), 0.6, "evaluate on 10 images with 6 correct "
                 "predictions (batches handed over in host memory)", rtol=1e-6, atol=1e-9)


# --- on a GPU -------------------------------------------------------------------------------

class _DeviceSpy:
    """Records the device of every batch that reaches the model."""

    def __init__(self, model):
        self.devices = []
        self.handle = model.register_forward_pre_hook(self.record)

    def record(self, module, args):
        if args and isinstance(args[0], _Tensor):
            self.devices.append(args[0].device.type)


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_train_one_epoch_on_gpu(sub):
    """train_one_epoch on CUDA moves every batch to the GPU and trains there."""
    cuda = _device("cuda")
    images, labels = colour_images(16, seed=61)
    model = reference_model(4, seed=62).to(cuda)
    spy = _DeviceSpy(model)
    optimizer = _SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    before = model.fc.weight.detach().clone()
    check_float(on_gpu("train_one_epoch(..., device=cuda)",
                       lambda: sub.train_one_epoch(model, loader(images, labels, 4), optimizer, cuda)),
                "train_one_epoch(..., device=cuda)")
    spy.handle.remove()
    if not spy.devices or set(spy.devices) != {"cuda"}:
        raise Feedback(f"train_one_epoch(..., device=cuda) fed the model batches on {sorted(set(spy.devices))};"
                       " move each batch with images.to(device), labels.to(device).")
    if _equal(before, model.fc.weight.detach()):
        raise Feedback("train_one_epoch(..., device=cuda) did not change fc.weight.")


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_fine_tune_on_gpu(sub):
    """fine_tune with device=None trains on the GPU (pick_device finds CUDA)."""
    train_loader, val_loader = fine_tune_data()
    spies = []
    build_model = sub.build_model

    def spying_build_model(*args, **kwargs):
        model = build_model(*args, **kwargs)
        spies.append(_DeviceSpy(model))
        return model

    with swapped(sub, build_model=spying_build_model):
        result = on_gpu("fine_tune(..., device=None)",
                        lambda: sub.fine_tune(train_loader, val_loader, 4, epochs=2, lr=5e-3))
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"fine_tune(...) should return a tuple (model, history), got {describe(result)}.")
    model, history = result
    devices = {p.device.type for p in model.parameters()}
    if devices != {"cuda"}:
        raise Feedback(f"fine_tune(..., device=None) on a machine with CUDA left the model on"
                       f" {sorted(devices)}; move it with model.to(device), device = pick_device().")
    seen = {d for spy in spies for d in spy.devices}
    if seen and seen != {"cuda"}:
        raise Feedback(f"fine_tune(..., device=None) fed the model batches on {sorted(seen)}; move"
                       " each batch to the device.")
    check_history(history, 2, "fine_tune(..., epochs=2)")


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_evaluate_on_gpu(sub):
    """evaluate on CUDA: batches from host memory, the accuracy a reference loop measures there."""
    cuda = _device("cuda")
    model = reference_model(4, seed=63).to(cuda)
    images, labels = colour_images(12, seed=64)
    model.eval()
    with _no_grad():
        right = sum(int((model(x.to(cuda)).argmax(1).cpu() == y).sum())
                    for x, y in zip(images.split(5), labels.split(5)))
    model.train()
    spy = _DeviceSpy(model)
    got = on_gpu("evaluate(..., device=cuda)",
                 lambda: sub.evaluate(model, loader(images, labels, 5), cuda))
    spy.handle.remove()
    got = check_float(got, "evaluate(..., device=cuda)")
    if not spy.devices or set(spy.devices) != {"cuda"}:
        raise Feedback(f"evaluate(..., device=cuda) fed the model batches on {sorted(set(spy.devices))};"
                       " move each batch with images.to(device).")
    assert_close(got, right / 12, "evaluate's accuracy on CUDA (12 images)", rtol=1e-6, atol=1e-9,
                 hint="compare predictions and labels on the same device, and divide by the number"
                      " of images")
