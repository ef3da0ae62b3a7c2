"""The course index: `exercises/manifest.toml`, one ordered list of ExerciseSpec.

Imported by `kata next`, so it must stay light: standard library only.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMAT_VERSION = 1
MANIFEST = Path("exercises") / "manifest.toml"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELDS = {"id", "dir", "title", "hints", "timeout", "memory", "requires", "forbid"}


class ManifestError(Exception):
    """The manifest is missing or does not describe a valid course."""


@dataclass(frozen=True)
class ExerciseSpec:
    id: str
    dir: str
    title: str
    hints: tuple[str, ...] = ()
    timeout: float = 30.0
    memory: int = 2048  # MiB
    requires: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    index: int = field(default=0, compare=False)  # position in the course, from 0

    @property
    def relpath(self) -> str:
        """The exercise file, relative to `exercises/` (or `solutions/`)."""
        return f"{self.dir}/{self.id}.py"

    @property
    def check_relpath(self) -> str:
        """The hidden check module, relative to `grader/checks/`."""
        return f"{self.dir}/test_{self.id}.py"


@dataclass(frozen=True)
class Manifest:
    exercises: tuple[ExerciseSpec, ...]
    path: Path

    def __iter__(self):
        return iter(self.exercises)

    def __len__(self) -> int:
        return len(self.exercises)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.exercises]

    def subset(self, ids) -> "Manifest":
        """These exercises alone (an assignment), in course order, numbered from 1 again."""
        wanted = set(ids)
        kept = [e for e in self.exercises if e.id in wanted]
        return Manifest(tuple(replace(e, index=n) for n, e in enumerate(kept)), self.path)

    def get(self, name: str) -> ExerciseSpec:
        """The exercise called `name`: its id, or its number as `kata list` shows it (from 1).
        Every verb resolves names here, so an unknown one gets the same "did you mean" everywhere."""
        name = str(name).strip()
        for spec in self.exercises:
            if spec.id == name:
                return spec
        if name.isdigit():
            number = int(name)
            if 1 <= number <= len(self.exercises):
                return self.exercises[number - 1]
            raise ManifestError(f"there is no exercise number {number}: the course numbers them"
                                f" 1-{len(self.exercises)} (see `kata list`)")
        guesses = self.similar(name)
        suggestion = f"; did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else ""
        raise ManifestError(f"unknown exercise '{name}'{suggestion} (see `kata list` for the ids)")

    def similar(self, name: str, limit: int = 3) -> list[str]:
        """Ids the learner may have meant: those that start with or contain `name`, then near spellings."""
        import difflib  # only on a miss: `kata next` stays light
        lowered = name.lower()
        found = [i for i in self.ids if i.startswith(lowered) or (len(lowered) >= 3 and lowered in i)]
        found += difflib.get_close_matches(lowered, self.ids, n=limit, cutoff=0.6)
        return list(dict.fromkeys(found))[:limit] if lowered else []


def load(path: Path) -> Manifest:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"no manifest at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path} is not valid TOML: {exc}") from None
    return parse(data, Path(path))


def parse(data: dict, path: Path) -> Manifest:
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ManifestError(f"{path}: format_version is {version!r}, this kata reads {FORMAT_VERSION}")
    entries = data.get("exercises")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path}: no [[exercises]] entries")
    specs, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"{path}: exercise #{index + 1}"
        unknown = set(entry) - _FIELDS
        if unknown:
            raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for key in ("id", "dir", "title"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ManifestError(f"{where}: '{key}' must be a non-empty string")
        if not _ID.match(entry["id"]):
            raise ManifestError(f"{where}: id '{entry['id']}' must be lower_snake_case")
        if entry["id"] in seen:
            raise ManifestError(f"{where}: duplicate id '{entry['id']}'")
        seen.add(entry["id"])
        timeout, memory = entry.get("timeout", 30), entry.get("memory", 2048)
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ManifestError(f"{where}: timeout must be a positive number of seconds")
        if not isinstance(memory, int) or memory < 64:
            raise ManifestError(f"{where}: memory must be a whole number of MiB, at least 64")
        specs.append(ExerciseSpec(
            id=entry["id"], dir=entry["dir"], title=entry["title"],
            hints=_strings(entry, "hints", where), timeout=float(timeout), memory=memory,
            requires=_strings(entry, "requires", where), forbid=_strings(entry, "forbid", where),
            index=index,
        ))
    return Manifest(tuple(specs), Path(path))


def _strings(entry: dict, key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)
