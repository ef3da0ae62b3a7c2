"""Hidden checks for `finetune_resnet18`: transfer learning with a frozen ResNet18 backbone.

Oracles: torchvision's resnet18 (built here, with weights=None: nothing is downloaded), training
and evaluation loops written here with torch.nn.functional.cross_entropy, and a small synthetic
task (images whose class is their colour) that a frozen random backbone plus a trained fc
learns in a few epochs. Images are 32 x 32 to keep every check fast on a CPU.

What runs in the learner's process (the snippets below, with sub.run): the learner's functions,
and the objects they work on, built there: the reference ResNet18 (frozen backbone, new fc), whose
backbone both sides build from the same seed and whose fc the judge sends; the data loaders (from
the images the judge sends); the optimizers; the pretend CUDA/MPS availability for pick_device;
the spies that stand in for build_model, train_one_epoch and pick_device inside fine_tune (the
learner's own code calls them); the weights marker; the hooks that record what reaches the model.
The images, the reference loops, the expected losses, weights, accuracies and the model's state
before a call stay here.

"Moved to device": without a GPU, grader/simdevice.py replays a GPU's rules on the CPU in the
learner's process (batches in host memory, the model on a pretend device), and
grader/checks/devices.py turns what it recorded into feedback. On a machine with CUDA, the checks
marked requires("cuda") run the learner's functions on the GPU.
"""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from grader.checks.probes import on_sim_device
from grader.checks.devices import on_gpu, verdict
from grader.checks.helpers import (Feedback, assert_close, check_float, describe, is_tensor, randn,
                                   record_curve)
from grader.checks.isolate import swapped
from grader.judge import LearnerError, is_remote

CPU = torch.device("cpu")
SIZE = 32                      # image side: ResNet18 still works (its last feature map is 1 x 1)
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
COLOURS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0],
                        [1.0, 0.0, 1.0]])


# --- what runs in the learner's process (grader/judge.py: sub.run) ------------------------------
# ruff: noqa: F821 - sub, torch, nn, F, math and simdevice are the learner's process's names there

def resnet_there(num_classes, seed, fc_weight, fc_bias, train=True, unfreeze=(), device=None):
    """The reference ResNet18 (reference_model, below): the backbone from torch.manual_seed(seed),
    frozen; a new fc with the judge's weights; the layers named in `unfreeze` trainable; a handle."""
    import torchvision
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = torchvision.models.resnet18(weights=None)
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = nn.Linear(512, num_classes)
    with torch.no_grad():
        model.fc.weight.copy_(fc_weight)
        model.fc.bias.copy_(fc_bias)
    for name in unfreeze:
        for p in getattr(model, name).parameters():
            p.requires_grad_(True)
    model.train(train)
    return model if device is None else model.to(device)


def loader_there(images, labels, batch_size, shuffle_seed=None):
    """A DataLoader over (images, labels), shuffled by a generator seeded with shuffle_seed if given; a handle."""
    from torch.utils.data import DataLoader, TensorDataset
    generator = None
    if shuffle_seed is not None:
        generator = torch.Generator()
        generator.manual_seed(shuffle_seed)
    return DataLoader(TensorDataset(images, labels), batch_size=batch_size,
                      shuffle=shuffle_seed is not None, generator=generator)


def sgd_there(model, lr):
    """torch.optim.SGD over the model's trainable parameters; a handle."""
    return torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)


def pick_device_pretending(cuda, mps):
    """sub.pick_device() with torch.cuda.is_available() answering `cuda` and MPS's `mps`, then restored."""
    saved = torch.cuda.is_available, torch.backends.mps.is_available, torch.backends.mps.is_built
    torch.cuda.is_available = lambda: cuda
    torch.backends.mps.is_available = lambda: mps
    torch.backends.mps.is_built = lambda: mps
    try:
        return sub.pick_device()
    finally:
        torch.cuda.is_available, torch.backends.mps.is_available, torch.backends.mps.is_built = saved


def type_name(obj):
    return type(obj).__name__


def model_kind(model):
    """Is it an nn.Module, is it a torchvision ResNet, its type's name."""
    import torchvision
    return {"module": isinstance(model, nn.Module), "resnet": isinstance(model, torchvision.models.ResNet),
            "type": type(model).__name__}


def fc_facts(model):
    """The model's fc: its type's name (None: no fc), whether it is an nn.Linear, its sizes, whether
    its weight and bias require grad, whether it has a bias."""
    fc = getattr(model, "fc", None)
    facts = {"type": None if fc is None else type(fc).__name__, "linear": isinstance(fc, nn.Linear)}
    if facts["linear"]:
        facts.update(sizes=[fc.in_features, fc.out_features], bias=fc.bias is not None,
                     trainable=bool(fc.weight.requires_grad and (fc.bias is None or fc.bias.requires_grad)))
    return facts


def logits_of(model, images):
    """model(images) in eval mode, without history."""
    model.eval()
    with torch.no_grad():
        out = model(images)
    return out.detach() if isinstance(out, torch.Tensor) else out


def parameter_flags(model):
    """[name, requires_grad] for each of the model's parameters, in order."""
    return [[name, bool(p.requires_grad)] for name, p in model.named_parameters()]


def state_shapes(model):
    """The shape of each state_dict entry."""
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def optimizer_holds(optimizer, model):
    """Is it a torch.optim.Optimizer; the names of the model's parameters it holds (in the model's
    order), how many tensors it holds and how many distinct ones; each group's learning rate."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        return {"optimizer": False}
    params = [p for group in optimizer.param_groups for p in group["params"]]
    ids = {id(p) for p in params}
    return {"optimizer": True, "held": [name for name, p in model.named_parameters() if id(p) in ids],
            "count": len(params), "distinct": len(ids), "lrs": [group.get("lr") for group in optimizer.param_groups]}


def state_entries(model, keys):
    """The model's state_dict entries named in `keys` (those it has), on the CPU."""
    state = model.state_dict()
    return {k: state[k].detach().cpu() for k in keys if k in state}


def state_summary(model):
    """The model's state after a call: its buffers and trainable parameters whole, the float64 sum
    of every other parameter (the judge compares them with the state it built)."""
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    buffers = {name for name, _ in model.named_buffers()}
    return {k: v.detach().cpu() if k in trainable or k in buffers else float(torch.sum(v.detach(), dtype=torch.float64))
            for k, v in model.state_dict().items()}


def model_spy(model):
    """Hooks on the model that record the device of every batch reaching it and whether each output
    requires grad; the recorder (a handle): model_spy_records reads it and removes the hooks."""
    class Spy:
        def __init__(self):
            self.devices, self.requires_grad = [], []

        def before(self, module, args):
            if args and isinstance(args[0], torch.Tensor):
                self.devices.append(args[0].device.type)

        def after(self, module, args, output):
            self.requires_grad.append(bool(getattr(output, "requires_grad", False)))

    spy = Spy()
    spy.hooks = [model.register_forward_pre_hook(spy.before), model.register_forward_hook(spy.after)]
    return spy


def model_spy_records(spy):
    """What the spy recorded: {"devices": [...], "requires_grad": [...]}; its hooks removed."""
    for hook in spy.hooks:
        hook.remove()
    return {"devices": list(spy.devices), "requires_grad": list(spy.requires_grad)}


def predicted_classes(model, loader):
    """The classes the model predicts for the loader's images, in order, in eval mode without history."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(images).argmax(1).cpu() for images, _ in loader])


def parameter_devices(model):
    """The device types of the model's parameters (None: not an nn.Module)."""
    if not isinstance(model, nn.Module):
        return None
    return sorted({p.device.type for p in model.parameters()})


def recording_pick_device():
    """A pick_device that answers the cpu and counts its calls (its .calls); a handle."""
    def pick_device():
        pick_device.calls.append(1)
        return torch.device("cpu")
    pick_device.calls = []
    return pick_device


def fine_tune_spies():
    """(a marker standing for weights="IMAGENET1K_V1", a build_model that records whether it was
    given the marker and builds the learner's model with weights=None (nothing downloads), a
    train_one_epoch that records the optimizer it is given and runs the learner's); handles."""
    class Weights:
        def __repr__(self):
            return "<the weights given to fine_tune>"

    marker = Weights()
    build_model, train_one_epoch = sub.build_model, sub.train_one_epoch

    def spying_build_model(num_classes, weights=None):
        spying_build_model.built_with.append([weights is marker, repr(weights)])
        return build_model(num_classes, weights=None)

    def spying_train_one_epoch(model, loader, optimizer, device):
        spying_train_one_epoch.optimizers.append(optimizer)
        return train_one_epoch(model, loader, optimizer, device)

    spying_build_model.built_with, spying_train_one_epoch.optimizers = [], []
    return marker, spying_build_model, spying_train_one_epoch


def first_optimizer_lrs(spying_train_one_epoch):
    """The learning rates of the first optimizer the spying train_one_epoch was given (None: never called)."""
    if not spying_train_one_epoch.optimizers:
        return None
    return [group.get("lr") for group in getattr(spying_train_one_epoch.optimizers[0], "param_groups", [])]


def device_recording_build_model():
    """A build_model that builds the learner's model and records the device of every batch reaching
    it (its .devices); a handle."""
    build_model = sub.build_model

    def spying_build_model(*args, **kwargs):
        model = build_model(*args, **kwargs)

        def record(module, inputs):
            if inputs and isinstance(inputs[0], torch.Tensor):
                spying_build_model.devices.append(inputs[0].device.type)
        model.register_forward_pre_hook(record)
        return model

    spying_build_model.devices = []
    return spying_build_model


# --- the judge's side: data, the reference model and loops --------------------------------------

def colour_images(n, seed, classes=4, size=SIZE):
    """n normalised images (n, 3, size, size) whose class is their colour, plus labels (n,)."""
    labels = torch.arange(n) % classes
    pixels = COLOURS[labels].view(n, 3, 1, 1) * 0.8 + 0.1 + 0.1 * randn(n, 3, size, size, seed=seed)
    return (pixels - MEAN) / STD, labels


def fc_init(num_classes, seed):
    """The new fc's starting weight and bias (the judge's reference and the learner's copy alike)."""
    return randn(num_classes, 512, seed=seed) * 0.05, randn(num_classes, seed=seed + 1) * 0.05


def reference_model(num_classes, seed):
    """ResNet18 as the exercise asks for it, built here: frozen backbone (seeded), new fc."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = torchvision.models.resnet18(weights=None)
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = nn.Linear(512, num_classes)
    weight, bias = fc_init(num_classes, seed)
    with torch.no_grad():
        model.fc.weight.copy_(weight)
        model.fc.bias.copy_(bias)
    return model


def learner_model(sub, num_classes, seed, **kwargs):
    """The same model in the learner's process (a handle): same backbone seed, same fc weights."""
    return sub.run(resnet_there, num_classes, seed, *fc_init(num_classes, seed), **kwargs)


def parameter_names():
    """The parameter names of resnet18 with a new fc, in order (built on the meta device)."""
    with torch.device("meta"):
        model = torchvision.models.resnet18(weights=None)
        model.fc = nn.Linear(512, 2)
    return [name for name, _ in model.named_parameters()]


def reference_epoch(model, batches, lr, *, zero_grad=True, train_mode=True):
    """One epoch of SGD on model.fc (the oracle); returns the batch losses."""
    model.train(train_mode)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for images, labels in batches:
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def reference_accuracy(model, batches, *, eval_mode=True):
    model.train(not eval_mode)
    with torch.no_grad():
        right = [int((model(x).argmax(1) == y).sum()) for x, y in batches]
    return right


def close_or_diagnosed(actual, expected, name, *, diagnose, **kwargs):
    """assert_close, with the classic mistakes (`diagnose()`, replayed by the oracle) worked out
    only for a result that disagrees: a result that agrees passes whatever they are."""
    try:
        assert_close(actual, expected, name, **kwargs)
    except Feedback:
        assert_close(actual, expected, name, diagnose=diagnose(), **kwargs)


def described(sub, x):
    """describe(x); for an object of the learner's (a handle), its type's name."""
    return f"a {sub.run(type_name, x)}" if is_remote(x) else describe(x)


def error_text(exc):
    """'Type: message' of an exception (a LearnerError reads so already)."""
    return str(exc) if isinstance(exc, LearnerError) else f"{type(exc).__name__}: {exc}"


# --- pick_device ----------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("cuda, mps, want", [(True, True, "cuda"), (True, False, "cuda"),
                                              (False, True, "mps"), (False, False, "cpu")])
def test_pick_device(sub, cuda, mps, want):
    """pick_device prefers cuda, then mps, then the cpu."""
    got = sub.run(pick_device_pretending, cuda, mps)
    situation = (f"with CUDA {'available' if cuda else 'unavailable'} and MPS"
                 f" {'available' if mps else 'unavailable'}")
    if not isinstance(got, torch.device):
        raise Feedback(f"pick_device() {situation} returned {described(sub, got)}; return a"
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
    """build_model(num_classes): the model (a handle) and model_kind's facts."""
    model = sub.build_model(num_classes)
    kind = sub.run(model_kind, model)
    if not kind["module"]:
        raise Feedback(f"build_model({num_classes}) should return an nn.Module, got {described(sub, model)}.")
    return model, kind


@pytest.mark.points(2)
@pytest.mark.parametrize("num_classes", [5, 2])
def test_build_model_new_head(sub, num_classes):
    """build_model replaces fc by a trainable nn.Linear(512, num_classes)."""
    model, _ = built(sub, num_classes)
    fc = sub.run(fc_facts, model)
    if not fc["linear"]:
        got = describe(None) if fc["type"] is None else f"a {fc['type']}"
        raise Feedback(f"build_model({num_classes}).fc should be an nn.Linear, got {got}.")
    in_features, out_features = fc["sizes"]
    if (in_features, out_features) == (512, 1000):
        raise Feedback(f"build_model({num_classes}).fc is still ImageNet's Linear(512, 1000)."
                       " Likely mistake: fc was not replaced; set"
                       " model.fc = nn.Linear(512, num_classes).")
    if (in_features, out_features) != (512, num_classes):
        raise Feedback(f"build_model({num_classes}).fc is Linear({in_features},"
                       f" {out_features}), expected Linear(512, {num_classes}).")
    if not fc["trainable"]:
        raise Feedback(f"build_model({num_classes}).fc is frozen (requires_grad False); the new"
                       " head is the part that learns. Freeze the backbone first, then replace fc.")
    if not fc["bias"]:
        raise Feedback(f"build_model({num_classes}).fc has no bias; use nn.Linear(512, num_classes).")
    for n in (1, 3):
        out = sub.run(logits_of, model, randn(n, 3, SIZE, SIZE, seed=40 + n))
        if not is_tensor(out) or tuple(out.shape) != (n, num_classes):
            raise Feedback(f"build_model({num_classes}) maps images ({n}, 3, {SIZE}, {SIZE}) to"
                           f" {described(sub, out)}, expected logits of shape ({n}, {num_classes}).")


@pytest.mark.points(2)
def test_build_model_frozen_backbone(sub):
    """build_model freezes every backbone parameter (requires_grad False), not fc."""
    model, _ = built(sub, 4)
    params = sub.run(parameter_flags, model)
    trainable = [name for name, requires_grad in params if requires_grad]
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
    model, kind = built(sub, 3)
    if not kind["resnet"]:
        raise Feedback(f"build_model(3) returned a {kind['type']}; build it with"
                       " torchvision.models.resnet18(weights=weights) and change its fc.")
    got = {k: tuple(v) for k, v in sub.run(state_shapes, model).items()}
    with torch.device("meta"):   # the reference architecture, without allocating it
        oracle = torchvision.models.resnet18(weights=None)
        oracle.fc = nn.Linear(512, 3)
    want = {k: tuple(v.shape) for k, v in oracle.state_dict().items()}
    if got != want:
        differ = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        raise Feedback(f"build_model(3) differs from resnet18 with a Linear(512, 3) head in"
                       f" {len(differ)} state_dict entries (e.g. {differ[:3]}). Use"
                       " torchvision.models.resnet18 and replace only fc.")


# --- make_optimizer -------------------------------------------------------------------------

def optimizer_facts(sub, optimizer, model, call):
    facts = sub.run(optimizer_holds, optimizer, model)
    if not facts["optimizer"]:
        raise Feedback(f"{call} should return a torch.optim.Optimizer, got {described(sub, optimizer)}.")
    return facts


@pytest.mark.points(2)
def test_make_optimizer_trainable_only(sub):
    """make_optimizer holds exactly the trainable parameters (fc), with the given lr."""
    model = learner_model(sub, 3, seed=1)
    call = "make_optimizer(model, lr=0.02)"
    facts = optimizer_facts(sub, sub.make_optimizer(model, lr=0.02), model, call)
    held = facts["held"]
    trainable = ["fc.weight", "fc.bias"]
    frozen = [name for name in held if name not in trainable]
    if frozen:
        raise Feedback(f"{call} holds {facts['count']} parameter tensors, {len(frozen)} of them"
                       f" frozen (e.g. {frozen[0]!r}). Likely mistake: the optimizer was given all"
                       " parameters; give it only those with requires_grad True.")
    missing = [name for name in trainable if name not in held]
    if missing:
        raise Feedback(f"{call} does not hold the trainable parameters {missing}.")
    if facts["count"] != facts["distinct"]:
        raise Feedback(f"{call} holds some parameters twice.")
    lrs = sorted(set(facts["lrs"]))
    if lrs != [0.02]:
        raise Feedback(f"{call} has learning rate(s) {lrs}, expected 0.02: pass lr=lr.")


@pytest.mark.points(1)
def test_make_optimizer_follows_requires_grad(sub):
    """make_optimizer takes every parameter with requires_grad True (here fc and layer4)."""
    model = learner_model(sub, 3, seed=2, unfreeze=["layer4"])
    call = "make_optimizer(model with fc and layer4 trainable)"
    facts = optimizer_facts(sub, sub.make_optimizer(model), model, call)
    want = {name for name in parameter_names() if name.startswith(("fc.", "layer4."))}
    got = set(facts["held"])
    foreign = facts["distinct"] - len(got)   # tensors that are none of the model's parameters
    if got != want or foreign:
        raise Feedback(f"{call} holds {len(got & want)} of the {len(want)} trainable parameter"
                       f" tensors and {len(got - want) + foreign} frozen ones. Select the parameters by"
                       " requires_grad (p for p in model.parameters() if p.requires_grad),"
                       " not by name, so that unfreezing more layers later just works.")


# --- train_one_epoch ------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("n, batch_size", [(8, 2), (12, 4)])
def test_train_one_epoch(sub, n, batch_size):
    """train_one_epoch: one SGD pass in train mode; returns the mean loss; fc learns like the oracle."""
    images, labels = colour_images(n, seed=10 + n, classes=3)
    lr = 0.5
    mine = learner_model(sub, 3, seed=n, train=False)   # train_one_epoch must switch to train mode itself
    optimizer = sub.run(sgd_there, mine, lr)
    call = f"train_one_epoch (on {n} images in batches of {batch_size})"
    got = check_float(sub.train_one_epoch(mine, sub.run(loader_there, images, labels, batch_size), optimizer, CPU),
                      call)
    # The oracle, after the learner's call. The replays of the classic mistakes only name the
    # mistake of a result that disagrees: they run only then.
    batches = list(zip(images.split(batch_size), labels.split(batch_size)))
    model = reference_model(3, seed=n)
    model.eval()
    start = copy.deepcopy(model)
    losses = reference_epoch(model, batches, lr)
    wrong = {}

    def replayed(mistake):
        """(the model, the batch losses) of one epoch with the mistake."""
        if mistake not in wrong:
            replay = copy.deepcopy(start)
            wrong[mistake] = replay, reference_epoch(replay, batches, lr, zero_grad=mistake != "no_zero",
                                                     train_mode=mistake != "eval")
        return wrong[mistake]

    mean = sum(losses) / len(losses)
    running = [k for k in model.state_dict() if "running" in k]
    state = sub.run(state_entries, mine, ["fc.weight"] + running)
    close_or_diagnosed(
        state.get("fc.weight"), model.fc.weight.detach(), f"fc.weight after {call}", rtol=1e-4, atol=1e-6,
        diagnose=lambda: [("optimizer.zero_grad() is not called before each backward(), so"
                           " gradients pile up across batches", replayed("no_zero")[0].fc.weight.detach()),
                          ("the model was not put in train mode (model.train()): batch norm"
                           " must use the batch statistics while training", replayed("eval")[0].fc.weight.detach()),
                          ("the optimizer never stepped (call optimizer.step())", start.fc.weight.detach())],
        hint="each batch: optimizer.zero_grad(), loss = cross_entropy(model(x), y),"
             " loss.backward(), optimizer.step().")
    want = model.state_dict()
    if any(k not in state or not torch.allclose(state[k], want[k], rtol=1e-4, atol=1e-6) for k in running):
        raise Feedback(f"{call}: the batch-norm running statistics differ from one training pass"
                       " in train mode. Call model.train() once at the start, and forward each"
                       " batch once.")
    close_or_diagnosed(
        got, mean, f"the loss returned by {call}", rtol=1e-4, atol=1e-6,
        sizes={"the number of batches": len(losses), "the number of images": n},
        diagnose=lambda: [("returned the sum of the batch losses; return their mean", sum(losses)),
                          ("returned the last batch's loss; return the mean over the batches",
                           losses[-1]),
                          ("returned the first batch's loss; return the mean over the batches",
                           losses[0]),
                          ("optimizer.zero_grad() is not called before each backward()",
                           sum(replayed("no_zero")[1]) / len(losses))])


# --- evaluate -------------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("n, batch_size", [(7, 1), (13, 5)])
def test_evaluate_accuracy(sub, n, batch_size):
    """evaluate returns the fraction of correct predictions, in eval mode."""
    model = reference_model(4, seed=20 + n)
    images = randn(n, 3, SIZE, SIZE, seed=30 + n)
    model.eval()
    with torch.no_grad():
        predicted = model(images).argmax(1)
    # Make a known number of labels right: the first `right` agree with the predictions.
    right = (2 * n) // 3
    labels = predicted.clone()
    labels[right:] = (labels[right:] + 1) % 4
    batches = list(zip(images.split(batch_size), labels.split(batch_size)))
    mine = learner_model(sub, 4, seed=20 + n, train=True)   # evaluate must switch to eval mode itself
    call = f"evaluate (on {n} images in batches of {batch_size})"
    got = check_float(sub.evaluate(mine, sub.run(loader_there, images, labels, batch_size), CPU), call)
    accuracy = right / n

    def mistakes():
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
        if batch_size > 1:   # batch norm in train mode needs more than one image per batch
            train_right = reference_accuracy(copy.deepcopy(model), batches, eval_mode=False)
            diagnose.append(("model.eval() was not called: batch norm used the batch statistics",
                             sum(train_right) / n))
        return diagnose

    close_or_diagnosed(got, accuracy, f"the accuracy returned by {call}", rtol=1e-6, atol=1e-9,
                       sizes={"the number of images": n, "the number of batches": -(-n // batch_size)},
                       diagnose=mistakes, hint="predictions = model(images).argmax(dim=1); accuracy ="
                                               " (predictions == labels).sum() / number of images.")


def same_entry(got, want):
    if isinstance(want, float):
        return isinstance(got, float) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
    return is_tensor(got) and got.shape == want.shape and got.dtype == want.dtype and torch.equal(got, want)


@pytest.mark.points(2)
def test_evaluate_leaves_model_unchanged(sub):
    """evaluate uses eval mode and no_grad: running statistics unchanged, no history recorded."""
    model = learner_model(sub, 4, seed=3, train=True)
    images, labels = colour_images(12, seed=4)
    spy = sub.run(model_spy, model)
    check_float(sub.evaluate(model, sub.run(loader_there, images, labels, 4), CPU), "evaluate(...)")
    recorded = sub.run(model_spy_records, spy)["requires_grad"]
    if not recorded:
        raise Feedback("evaluate(...) never called the model on the batches.")
    after = sub.run(state_summary, model)
    before = state_summary(reference_model(4, seed=3))  # the snippet, run here
    changed = [k for k, v in before.items() if not same_entry(after.get(k), v)]
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


def fine_tune_data(sub, classes=4):
    """The loaders (handles) of the small colour task, and the validation labels."""
    train_images, train_labels = colour_images(64, seed=51, classes=classes)
    val_images, val_labels = colour_images(32, seed=52, classes=classes)
    return (sub.run(loader_there, train_images, train_labels, 8, shuffle_seed=53),
            sub.run(loader_there, val_images, val_labels, 8), val_labels)


def trained_model(sub, result, call):
    """The model of fine_tune's (model, history), checked to be an nn.Module."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"{call} should return a tuple (model, history), got {describe(result)}.")
    model = result[0]
    if not sub.run(model_kind, model)["module"]:
        raise Feedback(f"{call} should return the trained model first, got {described(sub, model)}.")
    return model


@pytest.mark.points(3)
def test_fine_tune_learns(sub):
    """fine_tune on a small colour task: the loss falls and validation accuracy reaches 0.8."""
    train_loader, val_loader, val_labels = fine_tune_data(sub)
    call = "fine_tune(train_loader, val_loader, num_classes=4, epochs=4, lr=5e-3, device=cpu)"
    result = sub.fine_tune(train_loader, val_loader, 4, epochs=4, lr=5e-3, device=CPU)
    model = trained_model(sub, result, call)
    history = result[1]
    check_history(history, 4, call)
    fc = sub.run(fc_facts, model)
    if not fc["linear"] or fc["sizes"][1] != 4:
        got = describe(None) if fc["type"] is None else (
            f"Linear({fc['sizes'][0]}, {fc['sizes'][1]})" if fc["linear"] else f"a {fc['type']}")
        raise Feedback(f"{call}: the returned model's fc is {got}, expected Linear(512, 4).")
    losses = [check_float(entry["train_loss"], "train_loss") for entry in history]
    record_curve("yours (per epoch)", losses)
    if not losses[-1] < 0.7 * losses[0]:
        raise Feedback(f"{call}: the training loss did not fall (per epoch: "
                       + ", ".join(f"{v:.3f}" for v in losses) + "). Check that the optimizer"
                       " holds the fc parameters, that it steps, and that gradients are zeroed"
                       " before each backward().")
    accuracy = check_float(history[-1]["val_accuracy"], "val_accuracy")
    if accuracy < 0.8:
        raise Feedback(f"{call}: validation accuracy after 4 epochs is {accuracy:.3f}, expected at"
                       " least 0.8 on this easy task (images whose class is their colour). Check"
                       " evaluate (model.eval(), argmax over dim 1) and that fc is trained.")
    predicted = sub.run(predicted_classes, model, val_loader)
    right = int((predicted == val_labels).sum()) if is_tensor(predicted) and predicted.shape == val_labels.shape else 0
    assert_close(accuracy, right / 32, f"{call}: history[-1]['val_accuracy']", rtol=1e-6, atol=1e-9,
                 hint="the last epoch's val_accuracy should be evaluate(model, val_loader) of the"
                      " returned model.")


@pytest.mark.points(1)
def test_fine_tune_default_device(sub):
    """fine_tune with device=None asks pick_device()."""
    train_loader, val_loader, _ = fine_tune_data(sub)
    spy = sub.run(recording_pick_device)
    with swapped(sub, pick_device=spy):
        result = sub.fine_tune(train_loader, val_loader, 4, epochs=1, lr=5e-3)
    if not spy.calls:
        raise Feedback("fine_tune(..., device=None) did not call pick_device(); use"
                       " `device = pick_device() if device is None else device`.")
    if not isinstance(result, tuple) or len(result) != 2:
        raise Feedback(f"fine_tune(...) should return a tuple (model, history), got {describe(result)}.")
    check_history(result[1], 1, "fine_tune(..., epochs=1)")


@pytest.mark.points(1)
def test_fine_tune_passes_weights_and_lr(sub):
    """fine_tune builds the model with its `weights` and trains with its `lr`."""
    train_loader, val_loader, _ = fine_tune_data(sub)
    lr = 0.0123
    call = f"fine_tune(..., num_classes=4, epochs=1, lr={lr}, weights=w)"
    weights, spying_build_model, spying_train_one_epoch = sub.run(fine_tune_spies)
    with swapped(sub, build_model=spying_build_model, train_one_epoch=spying_train_one_epoch):
        try:
            sub.fine_tune(train_loader, val_loader, 4, epochs=1, lr=lr, device=CPU, weights=weights)
        except (NotImplementedError, Feedback):
            raise
        except Exception as exc:  # noqa: BLE001 - w reached torchvision without build_model
            if spying_build_model.built_with:
                raise
            raise Feedback(f"{call} raised {error_text(exc)}. Build the model with"
                           " build_model(num_classes, weights=weights).") from None
    built_with = spying_build_model.built_with
    if not built_with:
        raise Feedback(f"{call} did not call build_model; build the model with"
                       " build_model(num_classes, weights=weights).")
    given_marker, given = built_with[0]
    if given_marker is not True:
        raise Feedback(f"{call} called build_model with weights={given}, not with w."
                       " Likely mistake: `weights` is not passed on, so the pretrained weights are"
                       " never used; call build_model(num_classes, weights=weights).")
    lrs = sub.run(first_optimizer_lrs, spying_train_one_epoch)
    if lrs is None:
        raise Feedback(f"{call} did not call train_one_epoch; train each epoch with"
                       " train_one_epoch(model, train_loader, optimizer, device).")
    lrs = sorted(set(lrs))
    if lrs != [lr]:
        raise Feedback(f"{call} trained with an optimizer whose learning rate is {lrs}, expected"
                       f" [{lr}]. Likely mistake: `lr` is not passed on; make the optimizer with"
                       " make_optimizer(model, lr=lr).")


# --- moving batches to the device -------------------------------------------------------------
# Without a GPU, grader/simdevice.py replays a GPU's rules on the CPU in the learner's process:
# batches arrive in host memory, the model lives on a pretend device, and what would fail on a
# GPU comes back as facts that grader/checks/devices.verdict turns into feedback.

@pytest.mark.points(1)
def test_train_one_epoch_moves_batches(sub):
    """train_one_epoch moves each batch (images and labels) to the device before using it."""
    images, labels = colour_images(8, seed=71, classes=3)
    model = learner_model(sub, 3, seed=72)
    optimizer = sub.run(sgd_there, model, 0.1)
    spy = sub.run(model_spy, model)
    got, facts = sub.run(on_sim_device, "train_one_epoch", model, images, labels, 4, optimizer)
    verdict(facts, "train_one_epoch")
    check_float(got, "train_one_epoch(...)")
    seen = sub.run(model_spy_records, spy)["devices"]
    if len(seen) < 2:  # nothing moved is nothing trained: the batches must reach the model
        raise Feedback(f"train_one_epoch fed the model {len(seen)} batches of 2.")


@pytest.mark.points(1)
def test_evaluate_moves_batches(sub):
    """evaluate moves each batch to the device (or brings the predictions back) before comparing."""
    reference = reference_model(4, seed=73)
    images = randn(10, 3, SIZE, SIZE, seed=74)
    reference.eval()
    with torch.no_grad():
        labels = reference(images).argmax(1)
    labels[6:] = (labels[6:] + 1) % 4        # 6 of 10 right
    model = learner_model(sub, 4, seed=73, train=False)
    got, facts = sub.run(on_sim_device, "evaluate", model, images, labels, 4)
    verdict(facts, "evaluate")
    assert_close(check_float(got, "evaluate(...)"), 0.6, "evaluate on 10 images with 6 correct "
                 "predictions (batches handed over in host memory)", rtol=1e-6, atol=1e-9)


# --- on a GPU -------------------------------------------------------------------------------


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_train_one_epoch_on_gpu(sub):
    """train_one_epoch on CUDA moves every batch to the GPU and trains there."""
    cuda = torch.device("cuda")
    images, labels = colour_images(16, seed=61)
    before, _ = fc_init(4, 62)
    model = learner_model(sub, 4, seed=62, device="cuda")
    spy = sub.run(model_spy, model)
    optimizer = sub.run(sgd_there, model, 0.1)
    loader = sub.run(loader_there, images, labels, 4)
    check_float(on_gpu("train_one_epoch(..., device=cuda)",
                       lambda: sub.train_one_epoch(model, loader, optimizer, cuda)),
                "train_one_epoch(..., device=cuda)")
    devices = sub.run(model_spy_records, spy)["devices"]
    if not devices or set(devices) != {"cuda"}:
        raise Feedback(f"train_one_epoch(..., device=cuda) fed the model batches on {sorted(set(devices))};"
                       " move each batch with images.to(device), labels.to(device).")
    after = sub.run(state_entries, model, ["fc.weight"]).get("fc.weight")
    if is_tensor(after) and torch.equal(before, after.cpu()):
        raise Feedback("train_one_epoch(..., device=cuda) did not change fc.weight.")


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_fine_tune_on_gpu(sub):
    """fine_tune with device=None trains on the GPU (pick_device finds CUDA)."""
    train_loader, val_loader, _ = fine_tune_data(sub)
    spy = sub.run(device_recording_build_model)
    call = "fine_tune(..., device=None)"
    with swapped(sub, build_model=spy):
        result = on_gpu(call, lambda: sub.fine_tune(train_loader, val_loader, 4, epochs=2, lr=5e-3))
    model = trained_model(sub, result, call)  # a tuple (model, history), or feedback
    history = result[1]
    devices = sub.run(parameter_devices, model)
    if devices != ["cuda"]:
        raise Feedback(f"fine_tune(..., device=None) on a machine with CUDA left the model on"
                       f" {devices}; move it with model.to(device), device = pick_device().")
    seen = set(spy.devices)
    if seen and seen != {"cuda"}:
        raise Feedback(f"fine_tune(..., device=None) fed the model batches on {sorted(seen)}; move"
                       " each batch to the device.")
    check_history(history, 2, "fine_tune(..., epochs=2)")


@pytest.mark.requires("cuda")
@pytest.mark.points(1)
def test_evaluate_on_gpu(sub):
    """evaluate on CUDA: batches from host memory, the accuracy a reference loop measures there."""
    cuda = torch.device("cuda")
    images, labels = colour_images(12, seed=64)
    mine = learner_model(sub, 4, seed=63, device="cuda")   # in train mode: evaluate switches
    spy = sub.run(model_spy, mine)
    got = on_gpu("evaluate(..., device=cuda)",
                 lambda: sub.evaluate(mine, sub.run(loader_there, images, labels, 5), cuda))
    devices = sub.run(model_spy_records, spy)["devices"]
    got = check_float(got, "evaluate(..., device=cuda)")
    if not devices or set(devices) != {"cuda"}:
        raise Feedback(f"evaluate(..., device=cuda) fed the model batches on {sorted(set(devices))};"
                       " move each batch with images.to(device).")
    model = reference_model(4, seed=63).to(cuda)
    model.eval()
    with torch.no_grad():
        right = sum(int((model(x.to(cuda)).argmax(1).cpu() == y).sum())
                    for x, y in zip(images.split(5), labels.split(5)))
    assert_close(got, right / 12, "evaluate's accuracy on CUDA (12 images)", rtol=1e-6, atol=1e-9,
                 hint="compare predictions and labels on the same device, and divide by the number"
                      " of images")
