"""Finding courses: installed ones (entry points in the group `kata.courses`), a course project
being written (a folder whose pyproject.toml declares one), a folder named by KATA_COURSE, and the
course a workspace belongs to (its `.kata/course.json`).

An installed course is read through importlib.resources, so it works installed from a wheel,
editable, or from a zip on sys.path (a zipped course is unpacked once into kata's cache, because
pytest and the sandbox need real files). Standard library only: `kata next` imports this.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from .course import Course, CourseError, Layout, major
from .manifest import tomllib

GROUP = "kata.courses"
SHIPPED = "deep-learning"  # the course that ships with kata, the default everywhere
RECORD = "course.json"  # in a workspace's .kata/: the course it belongs to
ENV = "KATA_COURSE"


@dataclass(frozen=True)
class Installed:
    """A course as its entry point declares it, before anything of it is read."""
    name: str
    value: str  # "package" or "module:attribute" (a Layout, or a dict of its fields)
    distribution: str
    version: str

    def load(self) -> Course:
        layout = _layout(self.value, self.name)
        try:
            root = resources.files(layout.package)
        except (ImportError, TypeError) as exc:
            raise CourseError(f"the course '{self.name}' ({self.distribution} {self.version}) is broken:"
                              f" its package {layout.package!r} cannot be imported ({exc})") from None
        if not isinstance(root, Path):  # a zip: pytest and the sandbox need files
            root = _unpack(root, f"{self.name}-{self.version}", layout)
        course = Course.at(Path(root), layout, name=self.name, version=self.version,
                           distribution=self.distribution)
        if not course.manifest_path.is_file():
            raise CourseError(f"the course '{self.name}' ({self.distribution} {self.version}) has no"
                              f" manifest at {course.manifest_path}; reinstall it")
        return course


def installed() -> list[Installed]:
    """Every installed course, the shipped one first, then by name (one per name: the first
    distribution on sys.path wins, as Python's own import does)."""
    found: dict[str, Installed] = {}
    for ep in metadata.entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        if ep.name not in found:
            found[ep.name] = Installed(ep.name, ep.value, dist.name if dist else "?",
                                       dist.version if dist else "0")
    return sorted(found.values(), key=lambda c: (c.name != SHIPPED, c.name))


def find(name: str) -> Course:
    """The installed course called `name`."""
    for entry in installed():
        if entry.name == name:
            return entry.load()
    names = ", ".join(c.name for c in installed()) or "none"
    raise CourseError(f"no course called '{name}' is installed (installed: {names}); install its package"
                      f" with pip, or see `kata courses`")


def shipped() -> Course:
    try:
        return find(SHIPPED)
    except CourseError:
        # A source checkout run without installing (PYTHONPATH=.): kata's own pyproject says where.
        here = Path(__file__).resolve().parent.parent
        if (here / "pyproject.toml").is_file():
            return project(here)
        raise


# --- a course in development: a project folder, or a folder named by KATA_COURSE ----------------

def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` whose pyproject.toml declares a kata course."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _declared(folder) is not None:
            return folder
    return None


def project(folder: Path) -> Course:
    """The course a project folder declares (pyproject.toml: [project.entry-points."kata.courses"]),
    read from its source tree, installed or not."""
    folder = Path(folder).resolve()
    declared = _declared(folder)
    if declared is None:
        raise CourseError(f"{folder} is not a course project: its pyproject.toml declares no"
                          f" [project.entry-points.\"{GROUP}\"] entry")
    name, value, meta, tool = declared
    if "layout" in tool:
        fields = {k: v for k, v in tool["layout"].items() if k in Layout.PARTS}
        root, layout = folder, Layout(**fields)
    else:
        package = value.split(":")[0]
        candidates = [folder / "src" / Path(*package.split(".")), folder / Path(*package.split("."))]
        root = next((c for c in candidates if c.is_dir()), candidates[-1])
        layout = Layout(package)
    course = Course.at(root, layout, name=name, version=str(meta.get("version", "0")),
                       distribution=str(meta.get("name", "")), project=folder)
    if not course.manifest_path.is_file():
        raise CourseError(f"the course project {folder} has no manifest at {course.manifest_path}")
    return course


def folder(path: Path) -> Course:
    """A course folder: a course project, or a plain folder laid out as exercises/ (with
    manifest.toml), solutions/, checks/, mutants/, alternatives/ (its name is the folder's)."""
    path = Path(path).expanduser().resolve()
    if not path.is_dir():
        raise CourseError(f"{path} is not a folder")
    if _declared(path) is not None:
        return project(path)
    course = Course.at(path, Layout(), name=path.name, version="0.0.0")
    if not course.manifest_path.is_file():
        raise CourseError(f"{path} is not a course folder: no exercises/manifest.toml in it"
                          " (`kata dev new DIR --name NAME` makes one)")
    return course


def from_env() -> Course | None:
    custom = os.environ.get(ENV)
    return folder(Path(custom)) if custom else None


# --- which course a verb uses ---------------------------------------------------------------------

def default() -> Course:
    """KATA_COURSE, else the shipped course: what `kata init` and the kits use unless told."""
    return from_env() or shipped()


def named(name: str | None) -> Course:
    """`--course NAME` (an installed course, or a course folder), else the default."""
    if not name:
        return default()
    if os.sep in name or name.startswith(".") or Path(name).is_dir() and not _is_installed(name):
        return folder(Path(name))
    return find(name)


def for_dev(start: Path | None = None) -> Course:
    """What `kata dev` acts on: KATA_COURSE, else the course project around `start`, else the
    shipped course."""
    custom = from_env()
    if custom is not None:
        return custom
    root = project_root(start)
    return project(root) if root is not None else shipped()


def for_workspace(state_dir: Path) -> Course:
    """The course a workspace belongs to: KATA_COURSE, else its record, else (a workspace made
    before courses were recorded) the shipped course. Restricted to the record's assignment."""
    custom = from_env()
    record = read_record(state_dir)
    if custom is not None:
        return custom.assignment(record.get("only") if record and record.get("name") == custom.name else None)
    if record is None:
        return shipped()
    name, version = record["name"], record.get("version", "0")
    try:
        course = find(name)
    except CourseError:
        saved = record.get("folder")
        if saved and Path(saved).is_dir():
            course = folder(Path(saved))
        else:
            raise CourseError(f"this workspace is for the course '{name}' {version}, which is not installed"
                              f" here; install it: {_install_hint(record)}") from None
    if course.major != major(version):
        raise CourseError(f"this workspace is for the course '{name}' {version}, but {course.version} is"
                          f" installed; install a {major(version)}.x: {_install_hint(record)}")
    return course.assignment(record.get("only"))


def record_of(course: Course) -> dict:
    data = {"name": course.name, "version": course.version, "distribution": course.distribution}
    if course.project is not None or not course.distribution:  # read from a folder: where, if not installed
        data["folder"] = str(course.project or course.root)
    if course.only:
        data["only"] = list(course.only)
    return data


def write_record(state_dir: Path, course: Course) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / RECORD).write_text(json.dumps(record_of(course), indent=2) + "\n", encoding="utf-8")


def read_record(state_dir: Path) -> dict | None:
    path = Path(state_dir) / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise CourseError(f"{path} is corrupt; it should name the workspace's course, e.g."
                          f' {{"name": "{SHIPPED}", "version": "1.0.0"}}') from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(
            data.get("version", ""), str) or not all(isinstance(i, str) for i in data.get("only", [])):
        raise CourseError(f"{path} is corrupt; it should name the workspace's course, e.g."
                          f' {{"name": "{SHIPPED}", "version": "1.0.0"}}')
    return data


# --- helpers --------------------------------------------------------------------------------------

def _declared(folder: Path) -> tuple[str, str, dict, dict] | None:
    """(course name, entry point value, [project], [tool.kata]) from folder/pyproject.toml."""
    path = folder / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    meta = data.get("project", {})
    entries = meta.get("entry-points", {}).get(GROUP, {}) if isinstance(meta, dict) else {}
    if not isinstance(entries, dict) or not entries:
        return None
    name, value = next(iter(entries.items()))
    return name, str(value), meta, data.get("tool", {}).get("kata", {})


def _layout(value: str, name: str) -> Layout:
    if ":" not in value:
        return Layout(value.strip())
    module, _, attribute = value.partition(":")
    import importlib
    try:
        obj = getattr(importlib.import_module(module.strip()), attribute.strip())
    except (ImportError, AttributeError) as exc:
        raise CourseError(f"the course '{name}' is broken: its entry point {value!r} cannot be loaded ({exc})") from None
    if isinstance(obj, Layout):
        return obj
    if isinstance(obj, dict) and set(obj) <= {"package", *Layout.PARTS} and "package" in obj:
        return Layout(**obj)
    raise CourseError(f"the course '{name}' is broken: its entry point {value!r} is neither a package nor a Layout")


def _unpack(root, key: str, layout: Layout) -> Path:
    """Copy a course's parts out of a zip into kata's cache (once per course version and zip)."""
    archive = getattr(getattr(root, "root", None), "filename", None)
    stamp = str(int(os.stat(archive).st_mtime)) if archive and os.path.exists(archive) else "0"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kata" / "courses"
    target = cache / f"{key}-{stamp}"
    if (target / ".complete").is_file():
        return target
    partial = target.with_name(target.name + f".{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    for part in Layout.PARTS:
        source = root.joinpath(*getattr(layout, part).split("/"))
        if source.is_dir():
            _copy(source, partial / getattr(layout, part))
    (partial / ".complete").parent.mkdir(parents=True, exist_ok=True)
    (partial / ".complete").write_text("", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def _copy(source, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            _copy(item, dest / item.name)
        else:
            (dest / item.name).write_bytes(item.read_bytes())


def _is_installed(name: str) -> bool:
    return any(c.name == name for c in installed())


def _install_hint(record: dict) -> str:
    dist, version = record.get("distribution") or record["name"], record.get("version", "")
    first = major(version)
    if first.isdigit():
        return f"pip install '{dist}>={first},<{int(first) + 1}'"
    return f"pip install '{dist}'"
