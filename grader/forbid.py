"""Static scan of a submission for the names its exercise forbids (the manifest's `forbid`).

Patterns are dotted names matched with fnmatch against what the source refers to, aliases
resolved: with `import torch.nn.functional as F`, `F.conv2d(...)` is `torch.nn.functional.conv2d`.
A pattern also forbids everything below it (`torch.optim` covers `torch.optim.SGD`). A pattern
that starts with a dot (`.softmax`) matches that attribute on any object but `self`/`cls`, which
catches tensor methods such as `x.softmax(1)`.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from fnmatch import fnmatchcase


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
    except SyntaxError:
        return []  # the import check reports syntax errors
    finder = _Finder()
    finder.visit(tree)
    found: dict[tuple[str, int], Violation] = {}
    for name, line, is_method in finder.uses:
        for pattern in patterns:
            if _matches(name, pattern, is_method):
                found.setdefault((name, line), Violation(name, line, pattern))
                break
    return sorted(found.values(), key=lambda v: (v.line, v.name))


def _matches(name: str, pattern: str, is_method: bool) -> bool:
    if pattern.startswith("."):
        return is_method and name.rsplit(".", 1)[-1] == pattern[1:]
    if is_method:
        return False
    return fnmatchcase(name, pattern) or fnmatchcase(name, pattern + ".*") or name.startswith(pattern + ".")


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

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = _dotted(node)
        if dotted:
            head, _, rest = dotted.partition(".")
            if head in self.aliases:
                self.uses.append((f"{self.aliases[head]}.{rest}", node.lineno, False))
                return  # the whole chain is resolved; do not visit its parts again
        if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            self.uses.append((node.attr, node.lineno, True))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.aliases:
            self.uses.append((self.aliases[node.id], node.lineno, False))


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
