"""The in-process tripwire, for check modules that still run inside the learner's process.

A check module that sets `IN_LEARNER_PROCESS = True` has not been rewritten for the boundary
(grader/judge.py) yet: its check functions run in the learner's process, next to the learner's
code, as every check did before. There the refusals of grader/tripwire.py would refuse the
checks' own oracles, so this older tripwire records instead, attributing each operation to the
innermost frame that is the learner's or the check module's. It is weaker: what the learner's
code does inside that process can reach the check's objects.

The static scan (forbid.py) reads names; a submission can hide a name from it
(`getattr(F, "con" + "v2d")`, `eval(...)`, `__import__(...).__dict__[...]`,
`torch.ops.aten.convolution`). While a `Tripwire` is active, the operations themselves are
watched at torch's own dispatch points:

- a TorchFunctionMode sees every torch function, Tensor method and `torch.ops` call made from
  Python, and compares it by identity with the objects the forbid patterns denote (forbid.py) and
  by operator name with the table below;
- a TorchDispatchMode sees every ATen operator that runs, whichever Python route led to it (a
  module's forward, a Python function, torch functions disabled);
- for gradients by autograd, the engine's `run_backward` (every .backward(), torch.autograd.grad,
  torch.func.vjp/grad and functorch end there);
- for NumPy-only exercises (the pattern `torch`), any import of torch by the learner's code.

An operation counts only while a frame of the learner's file is on the stack, so the checks' own
reference computations are never flagged. Each hit is recorded once per learner line, as
Hit(name, line); the grading parent withholds the points. Used around each check:

    with Tripwire(spec.forbid, learner_path) as wire:
        run_the_check()
    wire.hits

Only exercises with a forbid list pay for the modes (measured in the module docstring of
tests/test_tripwire.py).
"""
from __future__ import annotations

import builtins
import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import forbid as forbid_mod
from .events import Hit

# --- which operators each forbidden name stands for ---------------------------------------------
# Keyed by a representative forbidden name: an exercise whose forbid list covers that name (by
# the static scan's own pattern matching) refuses these operators at run time. Names are
# "namespace::operator", without overload; Tensor methods and torch builtins count as aten.
# Matrix products (mm, addmm, matmul, einsum) are never listed: `x @ W.T + b` is the exercise.
CONVOLUTION = frozenset(f"aten::{op}" for op in (
    "convolution", "_convolution", "_convolution_mode", "conv1d", "conv2d", "conv3d", "conv_tbc",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution_backward",
    "cudnn_convolution", "cudnn_convolution_transpose", "mkldnn_convolution", "miopen_convolution",
    "_slow_conv2d_forward", "_slow_conv2d_backward", "thnn_conv2d", "slow_conv3d",
    "slow_conv_dilated2d", "slow_conv_transpose2d", "_nnpack_spatial_convolution",
    "_mps_convolution"))
POOLING = frozenset(f"aten::{op}" for op in (
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "max_pool2d_with_indices_backward", "mkldnn_max_pool2d",
    "quantized_max_pool2d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "fractional_max_pool2d",
    "fractional_max_pool3d", "max_unpool2d", "max_unpool3d"))
RECURRENT = frozenset(f"aten::{op}" for op in (
    "rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell", "rnn_tanh", "rnn_relu", "lstm", "gru",
    "_thnn_fused_lstm_cell", "_thnn_fused_gru_cell", "quantized_rnn_tanh_cell",
    "quantized_rnn_relu_cell", "quantized_gru_cell", "quantized_lstm_cell", "_cudnn_rnn", "miopen_rnn"))
LINEAR = frozenset({"aten::linear", "aten::bilinear", "aten::_trilinear", "aten::mkldnn_linear"})
SOFTMAX = frozenset(f"aten::{op}" for op in (
    "softmax", "_softmax", "log_softmax", "_log_softmax", "special_softmax", "special_log_softmax",
    "_safe_softmax"))
LOGSUMEXP = frozenset({"aten::logsumexp", "aten::special_logsumexp"})
LOSSES = frozenset(f"aten::{op}" for op in (
    "cross_entropy_loss", "nll_loss", "nll_loss_forward", "nll_loss2d", "nll_loss2d_forward",
    "nll_loss_nd", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "mse_loss",
    "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "poisson_nll_loss",
    "multilabel_margin_loss", "multi_margin_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "ctc_loss", "_ctc_loss"))
NMS = frozenset({"torchvision::nms"})
ATTENTION = frozenset(f"aten::{op}" for op in (
    "scaled_dot_product_attention", "_scaled_dot_product_attention_math", "_fused_sdp_choice",
    "_scaled_dot_product_flash_attention", "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
    "_native_multi_head_attention", "_transformer_encoder_layer_fwd"))
# Operators that reach the dispatcher under their own name (the others, linear and the recurrent
# cells, are decomposed into matrix products before it, and are seen by the function mode only).
DISPATCHED = CONVOLUTION | POOLING | SOFTMAX | LOGSUMEXP | LOSSES | NMS | ATTENTION
AUTOGRAD = "autograd"  # the engine's run_backward
EVERYTHING = "torch"  # every torch operation and every import of torch

OPERATIONS: dict[str, frozenset[str] | str] = {
    "torch.nn.functional.conv2d": CONVOLUTION,
    "torch.nn.functional.max_pool2d": POOLING,
    "torch.nn.RNNCell": RECURRENT,
    "torch.nn.functional.linear": LINEAR,
    "torch.softmax": SOFTMAX,
    "torch.logsumexp": LOGSUMEXP,
    "torch.nn.functional.cross_entropy": LOSSES,
    "torchvision.ops.nms": NMS,
    "torch.nn.functional.scaled_dot_product_attention": ATTENTION,
    "torch.autograd.grad": AUTOGRAD,
    "torch": EVERYTHING,
}
_TORCH_FAMILY = ("torch", "torchvision", "functorch")
_CHECKS_DIR = str(Path(__file__).resolve().parent / "checks") + os.sep  # the hidden checks' code


@dataclass(frozen=True)
class Plan:
    """What a forbid list refuses at run time."""
    operators: frozenset[str]
    autograd: bool
    everything: bool


def plan(patterns: Iterable[str]) -> Plan:
    """The operators, autograd and torch-import rules that `patterns` cover (via OPERATIONS)."""
    rules = forbid_mod.rules(tuple(patterns))
    operators: set[str] = set()
    autograd = everything = False
    for name, ops in OPERATIONS.items():
        if not any(pattern.matches(name) for pattern in rules.names):  # as spelled, not resolved
            continue
        if ops == AUTOGRAD:
            autograd = True
        elif ops == EVERYTHING:
            everything = True
        else:
            operators |= ops
    return Plan(frozenset(operators), autograd, everything)


class Tripwire:
    """Records forbidden operations reached from the learner's file while active (see module doc)."""

    def __init__(self, forbid_patterns: Iterable[str], learner_path: str | Path,
                 checks_dir: str | Path | None = None):
        self.patterns = tuple(forbid_patterns)
        self.path = str(learner_path)
        # the checks' own code (default: the course's grader/checks); its calls are never the learner's
        self.checks = (_CHECKS_DIR, *((str(checks_dir).rstrip(os.sep) + os.sep,) if checks_dir else ()))
        self.hits: list[Hit] = []
        self._lines: set[int] = set()
        self._undo: list = []
        self._names: dict = {}  # func -> its forbidden name or None: decided once per function

    # --- activation ------------------------------------------------------------------------------

    def __enter__(self) -> "Tripwire":
        if not self.patterns or "torch" not in sys.modules:
            return self
        import torch  # already imported by the grading child; this only binds it

        self._plan = plan(self.patterns)
        if not (self._plan.operators or self._plan.autograd or self._plan.everything):
            return self  # names only (e.g. torch.optim): the static scan covers them
        self._rules = forbid_mod.rules(self.patterns)
        self._torch = torch
        function_mode, dispatch_mode = _modes(self)
        function_mode.__enter__()
        self._undo.append(lambda: function_mode.__exit__(None, None, None))
        # The dispatch mode costs ~60 us per operator (the function mode ~12 us per call): pushed
        # only where it can see a forbidden operator under its own name.
        if self._plan.operators & DISPATCHED:
            dispatch_mode.__enter__()
            self._undo.append(lambda: dispatch_mode.__exit__(None, None, None))
        if self._plan.autograd:
            self._hook_engine()
        if self._plan.everything:
            self._hook_imports()
        return self

    def __exit__(self, *exc) -> None:
        while self._undo:
            self._undo.pop()()

    def _hook_engine(self) -> None:
        from torch.autograd.variable import Variable

        engine, wire = Variable._execution_engine, self

        class _WatchedEngine:
            """The autograd engine, noting a backward pass started from the learner's code."""

            def run_backward(self, *args, **kwargs):
                wire.note("torch.autograd (a backward pass by autograd)")
                return engine.run_backward(*args, **kwargs)

            def __getattr__(self, name):
                return getattr(engine, name)

        Variable._execution_engine = _WatchedEngine()
        self._undo.append(lambda: setattr(Variable, "_execution_engine", engine))

    def _hook_imports(self) -> None:
        real_import, real_import_module, wire = builtins.__import__, importlib.import_module, self

        def watched_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and isinstance(name, str) and name.split(".")[0] in _TORCH_FAMILY:
                wire.note(f"import {name}", direct=True)
            return real_import(name, globals, locals, fromlist, level)

        def watched_import_module(name, package=None):
            if isinstance(name, str) and name.split(".")[0] in _TORCH_FAMILY:
                wire.note(f"import {name}", direct=True)
            return real_import_module(name, package)

        builtins.__import__, importlib.import_module = watched_import, watched_import_module

        def undo():
            builtins.__import__, importlib.import_module = real_import, real_import_module
        self._undo.append(undo)

    # --- recording -------------------------------------------------------------------------------

    def note(self, name: str, *, direct: bool = False) -> None:
        """Record `name` if a frame of the learner's file is on the stack (the innermost one's line);
        `direct`: only if the learner's code is the immediate caller.

        The innermost frame that is the learner's or a check's decides whose call it is: a check's
        own object handed to the learner (test_rnn's reference cell, called by the learner's
        run_rnn) runs the library for the check, not for the learner."""
        frame = sys._getframe(2 if direct else 1)
        path, checks = self.path, self.checks
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(checks):
                return
            if filename == path:
                line = frame.f_lineno
                if line not in self._lines:
                    self._lines.add(line)
                    self.hits.append(Hit(name, line))
                return
            if direct:
                return
            frame = frame.f_back

    def function_name(self, func) -> str | None:
        """The forbidden name a torch function call denotes, or None (cached per function)."""
        try:
            return self._names[func]
        except (KeyError, TypeError):
            pass
        name = self._function_name(func)
        try:
            self._names[func] = name
        except TypeError:  # unhashable: decided again next time
            pass
        return name

    def _function_name(self, func) -> str | None:
        if self._plan.everything:
            return _display(func)
        op = _operator(func)
        if op is not None and op in self._plan.operators:
            return _display(func)
        name = getattr(func, "__name__", None)
        if isinstance(name, str) and self._rules.methods and _is_method(func):
            if self._rules.match(name, True) is not None:
                return f"Tensor.{name}"
        try:
            pattern = self._rules.forbidding(func)
        except Exception:  # noqa: BLE001 - an odd callable is simply not forbidden
            pattern = None
        return (self._rules.name_of(func) or _display(func)) if pattern is not None else None

    def dispatch_name(self, func) -> str | None:
        """The forbidden name an ATen operator denotes, or None (cached per operator)."""
        try:
            return self._names[func]
        except (KeyError, TypeError):
            pass
        name = None
        op = getattr(getattr(func, "_schema", None), "name", None)
        if isinstance(op, str) and (self._plan.everything or op in self._plan.operators):
            namespace, _, base = op.partition("::")
            name = f"torch.ops.{namespace}.{base}"
        self._names[func] = name
        return name


def _modes(wire: Tripwire):
    """The two torch modes, built on first use (torch is imported only where it runs)."""
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode

    class _FunctionWatch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = wire.function_name(func)
            if name is not None:
                wire.note(name)
            return func(*args, **(kwargs or {}))

    class _DispatchWatch(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = wire.dispatch_name(func)
            if name is not None:
                wire.note(name)
            return func(*args, **(kwargs or {}))

    return _FunctionWatch(), _DispatchWatch()


def _operator(func) -> str | None:
    """"aten::conv2d" for torch.conv2d, Tensor.conv2d, torch.ops.aten.conv2d(.default)."""
    qualified = getattr(func, "_qualified_op_name", None)  # an OpOverloadPacket
    if isinstance(qualified, str):
        return qualified
    schema = getattr(func, "_schema", None)  # an OpOverload
    if schema is not None:
        return getattr(schema, "name", None)
    name = getattr(func, "__name__", None)
    if isinstance(name, str) and type(func).__name__ in ("builtin_function_or_method", "method_descriptor"):
        return f"aten::{name}"
    return None


def _is_method(func) -> bool:
    return type(func).__name__ in ("method_descriptor", "wrapper_descriptor", "getset_descriptor") or \
        getattr(func, "__qualname__", "").startswith(("Tensor.", "TensorBase."))


def _display(func) -> str:
    qualified = getattr(func, "_qualified_op_name", None)
    if isinstance(qualified, str):
        namespace, _, base = qualified.partition("::")
        return f"torch.ops.{namespace}.{base}"
    schema = getattr(func, "_schema", None)
    if schema is not None:
        namespace, _, base = str(getattr(schema, "name", "")).partition("::")
        return f"torch.ops.{namespace}.{base}"
    module = getattr(func, "__module__", None) or "torch"
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "?")
    if type(func).__name__ == "method_descriptor" or str(qualname).startswith("TensorBase."):
        return f"Tensor.{getattr(func, '__name__', qualname)}"
    if module == "torch" or module.startswith("torch._C"):  # a binding: torch.conv2d, torch._C._nn.linear
        return f"{module}.{getattr(func, '__name__', qualname)}"
    return f"{module}.{qualname}"
