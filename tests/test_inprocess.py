"""The in-process tripwire (grader/inprocess.py), for check modules that still run in the
learner's process: forbidden operations reached from the learner's file by any route, recorded and
attributed to the learner's or the check's frame.

Overhead, measured on the course's conv2d (2 shared CPU cores, `kata dev check --only conv2d
--jobs 1`, 18 gradings): 17.0 s of CPU before the tripwire, 31.0 s with it; the solution alone
6.2 s -> 6.5 s. A TorchFunctionMode costs about 12 us per torch call, a TorchDispatchMode about
60 us per operator, so the dispatch mode is pushed only where a forbidden operator reaches the
dispatcher under its own name (convolution, pooling, softmax and losses, nms), and nothing at all
for exercises whose forbid list names no operator (linear_regression_autograd).
"""
from __future__ import annotations

import functools
import importlib.util
import textwrap
import warnings

import pytest
import torch
import torch.nn.functional as F

from grader.courses import default as default_course
from grader.events import Hit
from grader.inprocess import Tripwire, plan

MANIFEST = default_course().manifest

LEARNER = textwrap.dedent('''
    import torch
    import torch.nn.functional as F

    def via_getattr(x, w):
        return getattr(F, "con" + "v2d")(x, w)

    def via_eval(x, w):
        return eval("__import__('torch').nn.functional.conv2d")(x, w)

    def via_dict(x, w):
        return __import__("torch").__dict__["conv2d"](x, w)

    def via_ops(x, w):
        return torch.ops.aten.convolution(x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)

    def via_module(x, w):
        m = torch.nn.modules.conv.Conv2d(2, 3, 3, bias=False)
        with torch.no_grad():
            m.weight.copy_(w)
        return m(x)

    def via_disabled(x, w):
        with torch._C.DisableTorchFunction():
            return F.conv2d(x, w)

    def by_hand(x, w):
        patches = x.unfold(2, 3, 1).unfold(3, 3, 1)
        return torch.einsum("nchwuv,ocuv->nohw", patches, w) + torch.zeros(1) @ torch.zeros(1, 1)

    def by_autograd(x):
        y = (x * x).sum()
        y.backward()
        return x.grad

    def by_functorch(x):
        import functorch
        return functorch.vjp(lambda t: t * t, x)[1](torch.ones_like(x))[0]

    def cell(h, W):
        return torch._VF.rnn_tanh_cell(h, h, W, W)

    def pool(x):
        return getattr(torch.nn.functional, "max_" + "pool2d")(x, 2)

    def linear(x, W, b):
        return F.linear(x, W, b)

    def matmul(x, W, b):
        return x @ W.T + b

    def calls_back(fn):
        return fn()
''')

@pytest.fixture
def learner(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text(LEARNER)
    spec = importlib.util.spec_from_file_location("tripwire_learner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def line_of(text: str) -> int:
    return next(i + 1 for i, line in enumerate(LEARNER.splitlines()) if text in line)


def hits(exercise, path, fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # functorch's deprecation
        with Tripwire(MANIFEST.get(exercise).forbid, path) as wire:
            fn(*args)
    return wire.hits


X, W = torch.randn(1, 2, 6, 6), torch.randn(3, 2, 3, 3)


@pytest.mark.parametrize("route,name,text", [
    ("via_getattr", "torch.conv2d", 'getattr(F, "con"'),
    ("via_eval", "torch.conv2d", "return eval("),
    ("via_dict", "torch.conv2d", '__dict__["conv2d"]'),
    ("via_ops", "torch.ops.aten.convolution", "torch.ops.aten.convolution"),
    ("via_module", "torch.conv2d", "return m(x)"),
    ("via_disabled", "torch.ops.aten.convolution", "return F.conv2d"),
])
def test_every_route_to_a_convolution_is_caught_with_the_learners_line(learner, route, name, text):
    module, path = learner
    assert hits("conv2d", path, getattr(module, route), X, W) == [Hit(name, line_of(text))]


def test_the_checks_own_reference_calls_are_never_flagged(learner):
    module, path = learner
    with Tripwire(MANIFEST.get("conv2d").forbid, path) as wire:
        F.conv2d(X, W)
        torch.ops.aten.convolution(X, W, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
        module.calls_back(lambda: None)
    assert wire.hits == []


def test_legitimate_library_use_is_not_flagged(learner):
    module, path = learner
    assert hits("conv2d", path, module.by_hand, X, W) == []
    assert hits("modules", path, module.matmul, torch.randn(2, 3), torch.randn(4, 3), torch.randn(4)) == []


def test_autograd_in_a_hand_written_backward_exercise(learner):
    module, path = learner
    found = hits("conv2d_backward", path, module.by_autograd, torch.randn(3, requires_grad=True))
    assert [h.line for h in found] == [line_of("y.backward()")]
    found = hits("conv2d_backward", path, module.by_functorch, torch.randn(3))
    assert [h.line for h in found] == [line_of("functorch.vjp")]
    assert hits("modules", path, module.by_autograd, torch.randn(3, requires_grad=True)) == []


def test_recurrent_cells_pooling_and_linear(learner):
    module, path = learner
    assert hits("rnn", path, module.cell, torch.randn(1, 4), torch.randn(4, 4)) == [
        Hit("torch.rnn_tanh_cell", line_of("rnn_tanh_cell"))]
    assert hits("pooling", path, module.pool, X) == [Hit("torch.nn.functional.max_pool2d", line_of("max_"))]
    found = hits("modules", path, module.linear, torch.randn(2, 3), torch.randn(4, 3), torch.randn(4))
    assert [h.line for h in found] == [line_of("F.linear")]


def test_a_numpy_exercise_refuses_any_torch(learner, tmp_path):
    module, path = learner
    spec = importlib.util.spec_from_file_location("tripwire_learner_again", path)
    again = importlib.util.module_from_spec(spec)
    with Tripwire(MANIFEST.get("feed_forward").forbid, path) as wire:
        spec.loader.exec_module(again)  # `import torch` at the top of the file
    assert [h.name for h in wire.hits] == ["import torch", "import torch.nn.functional"]
    assert hits("feed_forward", path, module.matmul, torch.ones(1, 1), torch.ones(1, 1), torch.ones(1))


def test_the_tripwire_leaves_nothing_behind(learner):
    module, path = learner
    import builtins
    from torch.autograd.variable import Variable
    engine, importer = Variable._execution_engine, builtins.__import__
    with pytest.raises(ZeroDivisionError):
        with Tripwire(MANIFEST.get("feed_forward").forbid + MANIFEST.get("conv2d_backward").forbid, path):
            1 / 0
    assert Variable._execution_engine is engine and builtins.__import__ is importer
    assert torch._C._len_torch_function_stack() == 0
    assert hits("conv2d", path, module.via_getattr, X, W)  # and works again


def test_the_plan_comes_from_the_manifest_patterns():
    assert plan(MANIFEST.get("linear_regression_autograd").forbid).operators == frozenset()
    assert "aten::convolution" in plan(MANIFEST.get("conv2d").forbid).operators
    assert "aten::addmm" not in plan(MANIFEST.get("modules").forbid).operators
    assert "aten::linear" in plan(MANIFEST.get("modules").forbid).operators
    assert plan(MANIFEST.get("conv2d_backward").forbid).autograd
    assert plan(MANIFEST.get("feed_forward").forbid).everything
    assert "torchvision::nms" in plan(MANIFEST.get("boxes").forbid).operators


def test_a_checks_own_object_called_by_the_learner_is_the_checks_call(learner, tmp_path):
    """test_rnn hands the learner's run_rnn a reference cell built on nn.RNNCell: its library call
    belongs to the check, even with the learner's frame below it on the stack."""
    module, path = learner
    checks = tmp_path / "checks"
    checks.mkdir()
    oracle_file = checks / "test_cell.py"
    oracle_file.write_text("import torch\n\ndef reference(h, W):\n    return torch.rnn_tanh_cell(h, h, W, W)\n")
    spec = importlib.util.spec_from_file_location("tripwire_check", oracle_file)
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    h, Wt = torch.randn(1, 4), torch.randn(4, 4)
    with Tripwire(MANIFEST.get("rnn").forbid, path, checks_dir=checks) as wire:
        module.calls_back(functools.partial(check.reference, h, Wt))
    assert wire.hits == []
    with Tripwire(MANIFEST.get("rnn").forbid, path, checks_dir=checks) as wire:
        module.cell(h, Wt)  # the learner's own call of the same operator
    assert [hit.line for hit in wire.hits] == [line_of("rnn_tanh_cell")]
