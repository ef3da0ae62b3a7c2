"""Static scan of a submission for what its exercise forbids (the manifest's `forbid`).

Patterns are dotted names, fnmatch-style and case-insensitive (`torch.nn.*Pool*` covers
`torch.nn.functional.max_pool2d` as well as `torch.nn.MaxPool2d`). A pattern also forbids
everything below it (`torch.optim` covers `torch.optim.SGD`). A pattern that starts with a dot
(`.softmax`) matches that attribute on any object but `self`/`cls`, which catches tensor methods
such as `x.softmax(1)`.

Names are matched twice: by text, as the source spells them (aliases resolved: with
`import torch.nn.functional as F`, `F.conv2d` is `torch.nn.functional.conv2d`), and by what they
denote. Every dotted name the scan sees is resolved to its object through the modules this process
has already imported (the grading parent imports numpy, torch and torchvision before it scans),
and that object is compared by identity with the objects the patterns denote, and by its own
defining name. So a re-export or an alias is caught however it
is spelled: `from torch.nn.modules import Conv2d`, `torch.nn.modules.conv.Conv2d`, a detection
module's `box_ops.nms`.

Resolution never imports or runs anything the learner's source names: a module that exits or hangs
when imported is only ever text here. It reads attributes of modules already in sys.modules and of
classes, without calling descriptors.
"""
from __future__ import annotations

import ast
import builtins
import functools
import inspect
import re
import sys
import types
from dataclasses import dataclass
from fnmatch import translate

_MISSING = object()


@dataclass(frozen=True)
class Violation:
    name: str  # the resolved dotted name, e.g. torch.nn.functional.conv2d
    line: int
    pattern: str

    def describe(self) -> str:
        return f"{self.name} (line {self.line})"


def scan(source: str, patterns: tuple[str, ...] | list[str]) -> list[Violation]:
    """Every use of a forbidden name in `source`, in line order (one per name and line)."""
    if not patterns:
        return []
    try:
        tree = ast.parse(source)
        finder = _Finder()
        finder.visit(tree)
    except SyntaxError:
        return []  # the import check reports syntax errors
    except (RecursionError, MemoryError):
        # Source nested past what a reader can walk (a 900-term expression): the refusals in the
        # learner's process still hold; the file is graded, not turned away.
        return []
    compiled = rules(tuple(patterns))
    found: dict[tuple[str, int], Violation] = {}
    for name, line, is_method in finder.uses:
        pattern = compiled.match(name, is_method)
        if pattern is not None:
            found.setdefault((name, line), Violation(name, line, pattern))
    return sorted(found.values(), key=lambda v: (v.line, v.name))


# --- what the patterns denote --------------------------------------------------------------------

@dataclass(frozen=True)
class _Pattern:
    text: str
    regex: re.Pattern  # the whole dotted name, case-insensitive
    last: re.Pattern  # its last segment, against one attribute name

    def matches(self, name: str) -> bool:
        return bool(self.regex.match(name)) or name.lower().startswith(self.text.lower() + ".")


class _Rules:
    def __init__(self, patterns: tuple[str, ...]):
        self.methods = {p[1:].lower(): p for p in patterns if p.startswith(".")}
        self.names = [_compile(p) for p in patterns if not p.startswith(".")]
        self.objects: dict[int, tuple[object, str, str]] = {}  # id -> (object kept alive, pattern, name)
        for pattern in self.names:
            self._collect(pattern)

    def match(self, name: str, is_method: bool) -> str | None:
        if is_method:
            return self.methods.get(name.rsplit(".", 1)[-1].lower())
        for pattern in self.names:
            if pattern.matches(name):
                return pattern.text
        parts = name.split(".")
        for end in range(len(parts), 0, -1):  # the name and every prefix: below a forbidden object
            obj = resolve(".".join(parts[:end]))
            if obj is not _MISSING:
                pattern = self.forbidding(obj)
                if pattern is not None:
                    return pattern
        return None

    def forbidding(self, obj: object) -> str | None:
        """The pattern that forbids `obj` (by identity or by its defining name), or None."""
        if _never_forbidden(obj):
            return None
        hit = self.objects.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        for defined in _defining_names(obj):
            for pattern in self.names:
                if pattern.matches(defined):
                    return pattern.text
        return None

    def _collect(self, pattern: _Pattern) -> None:
        """Every object the pattern names, under every module already imported below its literal
        prefix: `torch.nn.*Pool*` walks torch.nn, torch.nn.modules, torch.nn.modules.pooling..."""
        literal = re.split(r"[*?\[]", pattern.text, maxsplit=1)[0]
        if literal == pattern.text and "." not in literal and literal not in sys.modules:
            # A whole library that is not even loaded (torch in a NumPy exercise): every name
            # under it matches by its spelling, and loading it would cost the grader seconds.
            return
        prefix = literal if literal == pattern.text else literal.rsplit(".", 1)[0]
        root = resolve(prefix)
        if root is _MISSING:
            return
        if literal == pattern.text:  # a plain name: that object, and for a module what it exports
            self._add(root, pattern, prefix)
            if isinstance(root, types.ModuleType):
                for export in getattr(root, "__all__", ()) or ():
                    value = _module_attr(root, export) if isinstance(export, str) else _MISSING
                    if value is not _MISSING and not isinstance(value, types.ModuleType):
                        self._add(value, pattern, f"{prefix}.{export}")
            return
        for module_name, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType):
                continue
            if module_name != prefix and not module_name.startswith(prefix + "."):
                continue
            for attr, value in list(vars(module).items()):
                if not pattern.last.match(attr) or not pattern.regex.match(f"{module_name}.{attr}"):
                    continue
                if isinstance(value, types.ModuleType) and not _under(value.__name__, prefix):
                    continue  # `foo.pool = multiprocessing.pool` is not torch's
                self._add(value, pattern, f"{module_name}.{attr}")

    def _add(self, obj: object, pattern: _Pattern, name: str) -> None:
        if (callable(obj) or isinstance(obj, types.ModuleType)) and not _never_forbidden(obj):
            self.objects.setdefault(id(obj), (obj, pattern.text, name))

    def name_of(self, obj: object) -> str | None:
        """A public dotted name under which a pattern found `obj` (for messages), or None."""
        hit = self.objects.get(id(obj))
        return hit[2] if hit is not None and hit[0] is obj else None


@functools.lru_cache(maxsize=32)
def rules(patterns: tuple[str, ...]) -> _Rules:
    return _Rules(patterns)


def _compile(pattern: str) -> _Pattern:
    last = pattern.rsplit(".", 1)[-1]
    return _Pattern(pattern, re.compile(translate(pattern), re.IGNORECASE),
                    re.compile(translate(last), re.IGNORECASE))


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _defining_names(obj: object) -> list[str]:
    """The dotted names `obj` was defined under: a module's own name, a class's or function's
    module and qualified name (`torch.nn.modules.conv.Conv2d` however it was imported)."""
    if isinstance(obj, types.ModuleType):
        name = _static(obj, "__name__")
        return [name] if isinstance(name, str) else []
    module, qualname = _static(obj, "__module__"), _static(obj, "__qualname__")
    if not isinstance(module, str) or not isinstance(qualname, str):
        return []
    return [f"{module}.{qualname}"]


def _static(obj: object, attr: str):
    try:
        return inspect.getattr_static(obj, attr)
    except AttributeError:
        return _MISSING


def _always_allowed() -> frozenset[int]:
    return _allowed_with("torch" in sys.modules)  # recomputed once torch is imported


@functools.lru_cache(maxsize=2)
def _allowed_with(torch_imported: bool) -> frozenset[int]:
    """Objects a module may re-export that no exercise forbids: grad modes, core types, builtins."""
    allowed = [v for v in vars(builtins).values() if callable(v)]
    torch = sys.modules.get("torch")
    if torch is not None:
        allowed += [getattr(torch, n, None) for n in (
            "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled",
            "Tensor", "Size", "dtype", "device", "Generator")]
    return frozenset(id(v) for v in allowed if v is not None)


def _never_forbidden(obj: object) -> bool:
    return id(obj) in _always_allowed()


# --- resolving a dotted name without running learner code --------------------------------------

def resolve(dotted: str) -> object:
    """The object `dotted` denotes, or _MISSING. Imports only installed library packages."""
    parts = dotted.split(".")
    obj = _module(parts[0])
    for part in parts[1:]:
        if obj is _MISSING:
            return _MISSING
        if isinstance(obj, types.ModuleType):
            value = _module_attr(obj, part)
            if value is _MISSING:
                value = _submodule(obj, part)
            obj = value
        elif isinstance(obj, type):
            obj = _static(obj, part)
        else:
            return _MISSING
    return obj


def _module(top: str) -> object:
    module = sys.modules.get(top)
    return module if isinstance(module, types.ModuleType) else _MISSING


def _module_attr(module: types.ModuleType, attr: str) -> object:
    try:
        return vars(module).get(attr, _MISSING)
    except TypeError:
        return _MISSING


def _submodule(module: types.ModuleType, part: str) -> object:
    name = f"{module.__name__}.{part}"
    loaded = sys.modules.get(name)
    return loaded if isinstance(loaded, types.ModuleType) else _MISSING


# --- what the source refers to ------------------------------------------------------------------

class _Finder(ast.NodeVisitor):
    """Collects (dotted name, line, is_method) for imports and attribute/name uses."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.uses: list[tuple[str, int, bool]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.uses.append((alias.name, node.lineno, False))
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            self.uses.append((node.module if alias.name == "*" else full, node.lineno, False))
            self.aliases[alias.asname or alias.name] = full

    def visit_Call(self, node: ast.Call) -> None:
        """getattr(F, "conv2d"), __import__("torch"), importlib.import_module("torch.nn"): with a
        constant string these name something as plainly as an attribute does."""
        func = _dotted(node.func)
        constant = (node.args[1] if func == "getattr" and len(node.args) >= 2 else
                    node.args[0] if func in ("__import__", "importlib.import_module") and node.args else None)
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
            if func == "getattr":
                target = self._resolved(node.args[0])
                if target:
                    self.uses.append((f"{target}.{constant.value}", node.lineno, False))
            else:
                self.uses.append((constant.value, node.lineno, False))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        resolved = self._resolved(node)
        if resolved:
            self.uses.append((resolved, node.lineno, False))
            return  # the whole chain is resolved; do not visit its parts again
        if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            self.uses.append((node.attr, node.lineno, True))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.aliases:
            self.uses.append((self.aliases[node.id], node.lineno, False))

    def _resolved(self, node: ast.AST) -> str | None:
        dotted = _dotted(node)
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        if head not in self.aliases:
            return None
        return f"{self.aliases[head]}.{rest}" if rest else self.aliases[head]


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
