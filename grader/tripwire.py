"""Forbidden work refused in the learner's process, where every route to it meets.

The static scan (forbid.py) reads names; a submission can hide a name from it
(`getattr(F, "con" + "v2d")`, `eval(...)`, a subclass walk, another library's kernel). The
`Guard` works on what runs instead. It is installed once in the learner's process
(grader/learner.py), before the learner's file is loaded, and nothing of the checks runs there,
so every forbidden operation in that process is the learner's:

- operators: a refusing kernel is registered with torch's dispatcher for every operator of a
  forbidden family (`*conv*` for a convolution), in every namespace (aten, torchvision,
  quantized, mkldnn...). The dispatcher is where torch functions, Tensor methods, modules,
  `torch.ops`, TorchScript and every other library's kernels meet, in every thread;
- Python functions and classes the forbid patterns denote (`torchvision.ops.box_iou`,
  `torch.nn.RNNCell`): the function's code, or the class's `__init__`, is replaced by a refusal,
  so every reference to it refuses: found by a subclass walk, a computed name or a saved alias;
- gradients by autograd (the pattern `torch.autograd`): the engine's run_backward (every
  .backward(), torch.autograd.grad, torch.func), reading `Tensor.grad_fn` (walking the graph by
  hand) and forward-mode dual tensors;
- the pattern `torch` (NumPy exercises): importing torch, by any route, and every operator of
  every library (where torch was loaded before the learner's file), in every thread;
- threads and processes: a new thread runs under the same refusals, a forked process inherits
  them, and starting a new program (exec, spawn, subprocess), which would carry none, is refused.

A refused operation raises `Refused` (a RuntimeError the learner sees) and is recorded as
Hit(name, line), the line being the innermost frame of the learner's file (None when the code
ran under another file name). What a process that rewrites its own memory can still do is listed
in the README (security).
"""
from __future__ import annotations

import contextlib
import fnmatch
import mmap
import os
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import forbid as forbid_mod
from .events import Hit

# --- which operators each forbidden name stands for ---------------------------------------------
# Keyed by a representative forbidden name: an exercise whose forbid list covers that name (by
# the static scan's own pattern matching) refuses the operators whose names match the family's
# patterns (without namespace and overload), minus its exclusions. Matrix products (mm, addmm,
# matmul, einsum) are never listed: `x @ W.T + b` is the exercise.


@dataclass(frozen=True)
class Family:
    patterns: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def matches(self, op: str) -> bool:
        return (any(fnmatch.fnmatchcase(op, p) for p in self.patterns)
                and not any(fnmatch.fnmatchcase(op, p) for p in self.exclude))


CONVOLUTION = Family(("*conv*",), ("*convert*",))
POOLING = Family(("*pool*", "*roi_align*"), ("_alloc_from_pool",))
RECURRENT = Family(("*rnn*", "*lstm*", "*gru*"))
LINEAR = Family(("linear", "linear_*", "*_linear", "bilinear", "_trilinear", "*linear_prepack*", "qlinear*",
                 "*linear_dynamic*", "*_linear_pointwise*", "fbgemm_linear*", "mkldnn_linear*"),
                ("upsample*", "_upsample*", "_compute_linear_combination"))
SOFTMAX = Family(("*softmax*",))
LOGSUMEXP = Family(("*logsumexp*",))
LOSSES = Family(("*loss*", "*nll*", "*cross_entropy*", "*kl_div*", "*ctc*"))
NMS = Family(("nms", "*box_iou*"))
ATTENTION = Family(("*scaled_dot_product*", "*attention*", "*transformer*", "_fused_sdp_choice"))
DUAL = Family(("_make_dual*", "_unpack_dual*", "_fw_primal*"))  # forward-mode autograd
ALL = Family(("*",))  # a NumPy exercise: every operator, in every thread, whatever the process does to its modes
AUTOGRAD = "autograd"
EVERYTHING = "torch"  # every torch operation and every import of torch

OPERATIONS: dict[str, Family | str] = {
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
TORCH_FAMILY = ("torch", "torchvision", "functorch")
KERNEL_KEYS = ("CPU", "CUDA", "CompositeExplicitAutograd")
FORKED_HITS_BYTES = 1 << 16
PROCESS_EVENTS = ("os.posix_spawn", "os.spawn", "os.exec", "os.system", "subprocess.Popen")


@dataclass(frozen=True)
class Plan:
    """What a forbid list refuses at run time."""
    families: tuple[Family, ...]
    autograd: bool
    everything: bool

    @property
    def any(self) -> bool:
        return bool(self.families or self.autograd or self.everything)


def plan(patterns: Iterable[str]) -> Plan:
    """The operator families, autograd and torch-import rules that `patterns` cover."""
    rules = forbid_mod.rules(tuple(patterns))
    families: list[Family] = []
    autograd = everything = False
    for name, rule in OPERATIONS.items():
        if not any(pattern.matches(name) for pattern in rules.names):  # as spelled, not resolved
            continue
        if rule == AUTOGRAD:
            autograd = True
            families.append(DUAL)
        elif rule == EVERYTHING:
            everything = True
            families.append(ALL)
        else:
            families.append(rule)
    return Plan(tuple(families), autograd, everything)


class Refused(RuntimeError):
    """A forbidden operation was attempted; the message is the learner's."""


class Guard:
    """Refuses the forbidden operations of one exercise in this process (see the module doc)."""

    def __init__(self, patterns: Iterable[str], learner_path: str | Path) -> None:
        self.patterns = tuple(patterns)
        self.path = str(learner_path)
        self.plan = plan(self.patterns) if self.patterns else Plan((), False, False)
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._libraries: dict[str, object] = {}  # torch.library.Library per namespace, kept alive
        self._refused: set[str] = set()  # operators looked at
        self._operators_seen = 0
        self._mode = None
        self._swapped: list[tuple[object, str, object, object]] = []  # (owner, attribute, refusal, original)
        self._lifted = False
        # A forked process's refusals are recorded where this one reads them: shared memory that
        # the fork inherits and that no closed descriptor takes away.
        self._pid = os.getpid()
        self._forked_hits = mmap.mmap(-1, FORKED_HITS_BYTES)

    # --- installed once, before the learner's file is loaded ----------------------------------

    def install(self) -> "Guard":
        if not self.patterns:
            return self
        torch = sys.modules.get("torch")
        if self.plan.everything and torch is None:
            sys.meta_path.insert(0, _RefuseImports(self))
        if torch is not None:
            self._refuse_operators(torch)
            if not self.plan.everything:  # there every torch call is refused by the function mode
                self._refuse_objects()
            if self.plan.autograd:
                self._refuse_autograd()
            if self.plan.autograd or self.plan.everything:
                self._mode = _function_mode(self)
        if self.plan.any:
            self._cover_threads_and_processes()
        return self

    def watching(self):
        """The per-call part (a torch function mode lives in one thread: threads are refused)."""
        return self._mode if self._mode is not None and not self._lifted else _NOTHING

    @contextlib.contextmanager
    def lifted(self):
        """The refusals lifted, for a check that runs a library's own code on the learner's object
        (a torchvision detector's forward pass runs torchvision's NMS): operators, functions,
        classes and autograd work again until the block ends. Starting a new program stays refused."""
        torch = sys.modules.get("torch")
        if self._lifted or not self.plan.any or torch is None:
            yield
            return
        self._lifted = True
        for library in self._libraries.values():
            if library is not None:
                library._destroy()
        self._libraries, self._refused = {}, set()
        self._unswap()
        try:
            yield
        finally:
            self._reswap()
            self._refuse_operators(torch)
            self._lifted = False

    def _cover_threads_and_processes(self) -> None:
        """A fresh interpreter would carry none of the refusals: starting one is refused. A forked
        process inherits them all, and the dispatcher's refusals hold in every thread; the
        function mode lives in one thread, so a new thread runs inside it too."""
        guard = self

        def audit(event: str, args) -> None:
            if event.startswith(PROCESS_EVENTS):
                guard.refuse(f"a new program ({event})", detail="kata grades this exercise in this process")
        sys.addaudithook(audit)
        if self._mode is None:
            return
        import _thread
        start = _thread.start_new_thread

        def start_new_thread(function, args=(), kwargs=None):
            def run(*a, **k):
                with guard.watching():
                    return function(*a, **k)
            return start(run, args, kwargs or {})
        for module in (_thread, threading):
            for name in ("start_new_thread", "start_new", "_start_new_thread"):
                if hasattr(module, name):
                    setattr(module, name, start_new_thread)

    def refresh(self) -> None:
        """Operators registered since (a library the learner's code imported): refused from now on."""
        torch = sys.modules.get("torch")
        if torch is not None and self.plan.families and \
                len(torch._C._dispatch_get_all_op_names()) != self._operators_seen:
            self._refuse_operators(torch)

    def _refuse_operators(self, torch) -> None:
        if not self.plan.families:
            return
        import warnings
        libraries: dict[str, object] = self._libraries
        names = torch._C._dispatch_get_all_op_names()
        self._operators_seen = len(names)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "overriding a previously registered kernel"
            for qualified in sorted(set(names) - self._refused):
                self._refused.add(qualified)
                namespace, _, op = qualified.partition("::")
                base = op.split(".", 1)[0]
                if not any(family.matches(base) for family in self.plan.families):
                    continue
                if namespace not in libraries:
                    try:
                        libraries[namespace] = torch.library.Library(namespace, "IMPL")
                    except Exception:  # noqa: BLE001 - a namespace that takes no kernels
                        libraries[namespace] = None
                library = libraries[namespace]
                if library is None:
                    continue
                kernel = self._kernel(f"torch.ops.{namespace}.{base}")
                for key in KERNEL_KEYS:
                    try:
                        library.impl(op, kernel, key)
                    except Exception:  # noqa: BLE001 - not every operator takes every key
                        pass

    def _kernel(self, name: str):
        def kernel(*args, **kwargs):
            self.refuse(name)
        return kernel

    def _refuse_objects(self) -> None:
        """Python functions and classes the patterns denote refuse through every reference."""
        rules = forbid_mod.rules(self.patterns)
        for obj, _pattern, name in list(rules.objects.values()):
            # Only what the libraries define: `torch.multiprocessing.spawn.ThreadPoolExecutor` is
            # concurrent.futures' class, re-exported, and matches `torch.*pool*` by name only.
            if str(getattr(obj, "__module__", "") or "").split(".")[0] not in TORCH_FAMILY:
                continue
            if isinstance(obj, types.FunctionType):
                try:
                    refusal = _refusing_code(obj, name, self)
                except (ValueError, TypeError, AttributeError):  # the dispatcher still holds
                    continue
                self._swap(obj, "__code__", refusal)
            elif isinstance(obj, type) and not obj.__module__.startswith("builtins"):
                self._swap(obj, "__init__", _refusing_init(name, self))

    def _swap(self, owner: object, attribute: str, refusal: object) -> None:
        """owner.attribute becomes the refusal; `lifted` puts the original back for a while."""
        original = vars(owner).get(attribute, _INHERITED) if isinstance(owner, type) else getattr(owner, attribute)
        try:
            setattr(owner, attribute, refusal)
        except (ValueError, TypeError, AttributeError):  # takes no new value: the dispatcher still holds
            return
        self._swapped.append((owner, attribute, refusal, original))

    def _reswap(self) -> None:
        for owner, attribute, refusal, _original in self._swapped:
            setattr(owner, attribute, refusal)

    def _unswap(self) -> None:
        for owner, attribute, _refusal, original in self._swapped:
            if original is _INHERITED:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)

    def _refuse_autograd(self) -> None:
        from torch.autograd.variable import Variable
        engine, guard = Variable._execution_engine, self

        class _RefusingEngine:
            def run_backward(self, *args, **kwargs):
                guard.refuse("torch.autograd (a backward pass by autograd)")

            def __getattr__(self, name):
                return getattr(engine, name)

        self._swap(Variable, "_execution_engine", _RefusingEngine())

    # --- recording -------------------------------------------------------------------------------

    def refuse(self, name: str, *, detail: str = "") -> None:
        line = self.learner_line(sys._getframe(1))
        if os.getpid() != self._pid:
            self._record_forked(name, line)
        with self._lock:
            if not any(h.name == name and h.line == line for h in self.hits):
                self.hits.append(Hit(name, line))
        where = f" (line {line})" if line else ""
        raise Refused(f"{name} is not allowed in this exercise{where}"
                      + (f": {detail}" if detail else "") + ".")

    def learner_line(self, frame) -> int | None:
        while frame is not None:
            if frame.f_code.co_filename == self.path:
                return frame.f_lineno
            frame = frame.f_back
        return None

    def take_hits(self) -> list[Hit]:
        with self._lock:
            hits, self.hits = self.hits, []
        for hit in self._take_forked():
            if hit not in hits:
                hits.append(hit)
        return hits

    def _record_forked(self, name: str, line: int | None) -> None:
        shared = self._forked_hits
        used = int.from_bytes(shared[:4], "little")
        entry = f"{line or 0}\t{name[:200]}\n".encode()
        if 4 + used + len(entry) <= len(shared):
            shared[4 + used:4 + used + len(entry)] = entry
            shared[:4] = (used + len(entry)).to_bytes(4, "little")

    def _take_forked(self) -> list[Hit]:
        shared = self._forked_hits
        used = min(int.from_bytes(shared[:4], "little"), len(shared) - 4)
        text = shared[4:4 + used].decode("utf-8", "replace")
        shared[:4] = (0).to_bytes(4, "little")
        hits = []
        for entry in text.splitlines():
            line, _, name = entry.partition("\t")
            if name and line.isdigit():
                hits.append(Hit(name, int(line) or None))
        return hits


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


_NOTHING = _Nothing()
_INHERITED = object()  # an attribute the class did not define itself


def _refusing_code(func: types.FunctionType, name: str, guard: Guard) -> types.CodeType | None:
    """Code for `func` that refuses: every reference to the function refuses, however it was found."""
    func.__globals__.setdefault("__kata_refused__", guard.refuse)
    namespace: dict = {}
    exec(f"def refused(*args, **kwargs):\n    return __kata_refused__({name!r})\n", namespace)  # noqa: S102
    return namespace["refused"].__code__.replace(co_freevars=func.__code__.co_freevars,
                                                 co_name=func.__code__.co_name)


def _refusing_init(name: str, guard: Guard):
    def __init__(self, *args, **kwargs):
        guard.refuse(name)
    return __init__


class _RefuseImports:
    """A finder first on sys.meta_path: the torch family cannot be imported, by any route."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in TORCH_FAMILY:
            self.guard.refuse(f"import {name}")
        return None


def _function_mode(guard: Guard):
    from torch.overrides import TorchFunctionMode
    everything, autograd = guard.plan.everything, guard.plan.autograd
    grad_fn = {"grad_fn", "_grad_fn", "backward", "next_functions", "register_hook"}

    class _Refusing(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if everything:
                guard.refuse(_display(func))
            if autograd and _attribute(func) in grad_fn:
                guard.refuse(f"Tensor.{_attribute(func)} (gradients by autograd)")
            return func(*args, **(kwargs or {}))

    return _Refusing()


def _attribute(func) -> str:
    name = getattr(func, "__name__", "")
    if name == "__get__":  # a property getter: Tensor.grad_fn.__get__
        owner = getattr(func, "__self__", None)
        name = getattr(owner, "__name__", "")
    return name if isinstance(name, str) else ""


def _display(func) -> str:
    module = getattr(func, "__module__", None) or "torch"
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "?")
    if str(qualname).startswith(("TensorBase.", "Tensor.")) or type(func).__name__ == "method_descriptor":
        return f"Tensor.{getattr(func, '__name__', qualname)}"
    return f"{module}.{qualname}"
