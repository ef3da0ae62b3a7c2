"""Packages for the classroom kits: what a runner can pip-install to get an installed course (or
kata itself), a wheel of it to carry in a kit, and which courses a wheel really holds.

How a distribution was installed is read from its `direct_url.json` (PEP 610): absent when it came
from a package index, `vcs_info` for a git URL, `dir_info` for a local folder (editable or not).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


class PackageError(Exception):
    """A package cannot be built, read or pointed at; the message is one line."""


@dataclass(frozen=True)
class Origin:
    """Where an installed distribution came from."""
    name: str
    version: str
    kind: str  # "index", "vcs", "folder" or "file"
    url: str = ""  # the git URL (with its commit) or the local folder or file

    @property
    def remote(self) -> str | None:
        """A requirement that a machine elsewhere (a CI runner) can install, or None."""
        if self.kind == "index":
            return f"{self.name}=={self.version}"
        if self.kind == "vcs":
            return f"{self.name} @ {self.url}"
        return None


def origin(distribution: str) -> Origin:
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise PackageError(f"the package {distribution} is not installed here") from None
    name, version = dist.metadata["Name"], dist.version
    text = dist.read_text("direct_url.json")
    if not text:
        return Origin(name, version, "index")
    try:
        info = json.loads(text)
    except ValueError:
        return Origin(name, version, "file")
    url = info.get("url", "")
    if "vcs_info" in info:
        vcs = info["vcs_info"]
        return Origin(name, version, "vcs", f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}")
    if "dir_info" in info:
        return Origin(name, version, "folder", url.removeprefix("file://"))
    return Origin(name, version, "file", url.removeprefix("file://"))


def wheel_of(distribution: str, out_dir: Path) -> Path:
    """A wheel of the installed `distribution` in `out_dir`: built from its folder when it was
    installed from one (editable included), otherwise repacked from its installed files."""
    where = origin(distribution)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if where.kind == "folder":
        return _build(Path(where.url), out_dir)
    return _repack(metadata.distribution(distribution), out_dir)


def build(project: Path, out_dir: Path) -> Path:
    """A wheel of a project folder (`pip wheel --no-deps`)."""
    return _build(Path(project), Path(out_dir))


def _build(project: Path, out_dir: Path) -> Path:
    before = set(out_dir.glob("*.whl"))
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--disable-pip-version-check",
            str(project), "-w", str(out_dir)]
    for extra in (["--no-build-isolation"], []):  # the build tools at hand first, else pip fetches them
        done = subprocess.run(base + extra, capture_output=True, text=True)
        if done.returncode == 0:
            break
    else:
        last = (done.stderr.strip().splitlines() or ["pip wheel failed"])[-1]
        raise PackageError(f"cannot build a wheel of {project}: {last}")
    made = sorted(set(out_dir.glob("*.whl")) - before) or sorted(out_dir.glob("*.whl"), key=os.path.getmtime)
    return made[-1]


def _repack(dist: metadata.Distribution, out_dir: Path) -> Path:
    """The wheel an installed (non-editable) distribution came from, rebuilt from its RECORD."""
    info = next((Path(str(f)).parts[0] for f in dist.files or () if str(f).endswith(".dist-info/METADATA")), None)
    if info is None:
        raise PackageError(f"{dist.metadata['Name']} has no installed file list to pack")
    wheel_text = dist.read_text("WHEEL") or ""
    tag = next((line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")),
               "py3-none-any")
    stem = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}"
    target = out_dir / f"{stem}-{tag}.whl"
    skip = {f"{info}/RECORD", f"{info}/INSTALLER", f"{info}/direct_url.json", f"{info}/REQUESTED"}
    records = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in dist.files or ():
            name = str(file).replace(os.sep, "/")
            if name in skip or name.startswith("..") or "__pycache__" in name or name.endswith(".pyc"):
                continue
            data = Path(dist.locate_file(file)).read_bytes()
            zf.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{name},sha256={digest},{len(data)}")
        records.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return target


_INSPECT = r"""
import json, sys
from importlib import metadata
sys.path.insert(0, sys.argv[1])
from grader import courses
found = {}
for ep in metadata.entry_points(group=courses.GROUP):
    if not str(ep.dist.locate_file("")).startswith(sys.argv[1]):
        continue
    try:
        course = courses.Installed(ep.name, ep.value, ep.dist.name, ep.dist.version).load()
        specs = list(course.full_manifest)
        found[ep.name] = {"version": ep.dist.version, "distribution": ep.dist.name,
                          "ids": [s.id for s in specs],
                          "gradable": [s.id for s in specs if course.check_module(s).is_file()]}
    except Exception as exc:
        found[ep.name] = {"error": str(exc)}
print(json.dumps(found))
"""


def courses_in(wheel: Path) -> dict[str, dict]:
    """The courses a wheel declares, read as an installed copy of it would read them: per course
    its version, exercise ids, and the ids whose hidden checks it carries."""
    with tempfile.TemporaryDirectory(prefix="kata-wheel-") as tmp:
        try:
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(tmp)
        except (OSError, zipfile.BadZipFile) as exc:
            raise PackageError(f"{wheel} is not a readable wheel: {exc}") from None
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / ".cache"))
        env.pop("KATA_COURSE", None)
        done = subprocess.run([sys.executable, "-c", _INSPECT, str(Path(tmp).resolve())],
                              capture_output=True, text=True, env=env, cwd=tmp)
    if done.returncode != 0:
        raise PackageError(f"cannot read the courses in {Path(wheel).name}: "
                           f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(done.stdout)
