"""Classroom CI, ready to use: a GitHub Actions workflow for a learner's repository, and a
Gradescope autograder zip. Each grades one course (or an assignment: some of its exercises),
installs kata and that course's package, and counts only exercises the package can grade; the
hidden checks come from the installed package, never from the learner's files.

What goes into a generated script from the instructor's `--package` is quoted so that nothing in
it is expanded by a shell: a YAML single-quoted environment value in the workflow (GitHub still
substitutes a `${{ secrets.NAME }}` in it), a shell single-quoted word in setup.sh.
"""
from __future__ import annotations

import contextlib
import os
import re
import shlex
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__, courses, wheels
from .api import KataError
from .course import Course
from .manifest import MANIFEST
from .render.common import pts

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
WORKFLOW_PATH = Path(".github") / "workflows" / "kata.yml"
PYTHON_MIN = (3, 10)
KATA = "dl-kata"  # kata's own distribution, which also ships the deep-learning course
GRADESCOPE_SOURCE = "/autograder/source"


def default_package() -> str:
    return f"{KATA}=={__version__}"


@dataclass(frozen=True)
class KitExercise:
    """What a kit needs to know of one exercise: its id, runner name and CPU maximum."""
    id: str
    runner: str
    max_score: float


def course_points(course: Course | None = None) -> list[KitExercise]:
    """Each exercise's maximum on a CPU-only machine such as GitHub's and Gradescope's runners
    (GPU-only checks skip there and are not counted), found by grading the untouched stubs in a
    temporary folder with CUDA hidden: the checks themselves say their points."""
    from . import api
    from .render.classroom import runner_names
    course = course or courses.default()
    specs = list(course.manifest)
    for spec in specs:
        if not course.check_module(spec).is_file():
            raise KataError(f"the course '{course.name}' cannot grade '{spec.id}': its hidden checks"
                            f" {course.check_module(spec)} are missing")
    with tempfile.TemporaryDirectory(prefix="kata-points-") as tmp, _cpu_only():
        space = api.init(dest=Path(tmp) / "ws", course=course)
        results = api.grade_pairs(api.pairs(specs, {s.id: space.exercise_file(s) for s in specs}), course=course)
    for result in results:
        if result.max_score <= 0:
            why = (result.message or "no check runs on a CPU").splitlines()[0]
            raise KataError(f"the course '{course.name}' cannot grade '{result.id}' here: {why}")
    names = runner_names(s.id for s in specs)
    return [KitExercise(r.id, names[r.id], r.max_score) for r in results]


# --- what a kit installs --------------------------------------------------------------------------

@dataclass(frozen=True)
class Packages:
    """What a kit pip-installs, kata first, and the wheels it carries (Gradescope)."""
    kata: str  # kata's requirement ('' when the course's own package is kata: the shipped course)
    course: str  # the course's requirement
    carried: tuple[Path, ...] = ()

    @property
    def requirements(self) -> list[str]:
        return [r for r in (self.kata, self.course) if r]


def kit_packages(course: Course, *, package: str | None = None, kata_package: str | None = None,
                 carry: bool, workdir: Path, warn=lambda line: None) -> Packages:
    """The requirements a kit for `course` installs. `carry` (Gradescope): local wheels go in the
    kit, and by default the course's wheel is built and carried (kata's too, unless kata came from a
    package index). Without `carry` (GitHub), every requirement must be installable from elsewhere.
    Refuses (KataError) a package that does not ship the course or lacks an exercise it counts."""
    is_kata = course.distribution == KATA and course.name == courses.SHIPPED
    carried: list[Path] = []

    def place(given: str | None, *, distribution: str, project: Path | None, option: str,
              pin_from_index: bool) -> str:
        """`given` as the kit installs it; else what the kit can install of `distribution` (or of
        the course project in `project`). `pin_from_index`: one from a package index is pinned,
        not carried."""
        if given is not None:
            given = _check_package(given)
            local = Path(given).expanduser()
            if not (local.suffix in (".whl", ".gz", ".zip") and local.is_file()):
                return given
            if not carry:
                raise KataError(f"{option} {given} is a file here, which a GitHub runner cannot install;"
                                " give a requirement it can reach (a git URL or an index name)")
            carried.append(local)
            return f"{GRADESCOPE_SOURCE}/{local.name}"
        if carry:
            if project is None and not distribution:
                raise KataError(f"the course '{course.name}' is a plain folder ({course.root}), which kata"
                                f" cannot package; give it a pyproject.toml (`kata dev new` writes one) or pass"
                                f" {option}")
            if pin_from_index and wheels.origin(distribution).kind == "index":
                return f"{distribution}=={wheels.origin(distribution).version}"
            carried.append(wheels.build(project, workdir) if project is not None
                           else wheels.wheel_of(distribution, workdir))
            return f"{GRADESCOPE_SOURCE}/{carried[-1].name}"
        if project is not None or not distribution:
            raise KataError(f"the course '{course.name}' is a folder here, not an installed package;"
                            f" pass {option} with a requirement a GitHub runner can install (a git URL of"
                            " the course's repository, see the README)")
        remote = wheels.origin(distribution).remote
        if remote is None:
            raise KataError(f"{distribution} was installed from a local folder or file, which a GitHub runner"
                            f" cannot reach; pass {option} with a requirement it can install (a git URL,"
                            " see the README)")
        return remote

    try:
        course_req = place(package, distribution=course.distribution, project=course.project,
                           option="--package", pin_from_index=is_kata)
        kata_req = "" if is_kata else place(kata_package, distribution=KATA, project=None,
                                            option="--kata-package", pin_from_index=True)
    except wheels.PackageError as exc:
        raise KataError(str(exc)) from None
    packages = Packages(kata_req, course_req, tuple(carried))
    _verify(course, packages, warn)
    return packages


def _canonical(name: str) -> str:
    """A distribution name as the package index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _verify(course: Course, packages: Packages, warn) -> None:
    """Refuse a kit whose course package does not ship every exercise it counts: a carried wheel
    is read as an installed copy would read it; a requirement for what is installed here is what
    was measured; anything else kata cannot look into, and says so."""
    counted = list(course.manifest.ids)
    requirement = packages.course
    wheel = next((w for w in packages.carried if requirement.endswith("/" + w.name)), None)
    if wheel is not None:
        try:
            found = wheels.courses_in(wheel).get(course.name)
        except wheels.PackageError as exc:
            raise KataError(str(exc)) from None
        if found is None or "error" in found:
            raise KataError(f"{wheel.name} does not ship the course '{course.name}'"
                            + (f": {found['error']}" if found else ""))
        missing = [i for i in counted if i not in found["gradable"]]
        if missing:
            raise KataError(f"{wheel.name} ({course.name} {found['version']}) cannot grade"
                            f" {', '.join(missing)}, which the kit counts; rebuild the wheel from the course")
        return
    if course.distribution:
        try:
            here = wheels.origin(course.distribution)
        except wheels.PackageError:
            here = None
        if here is not None and requirement in (f"{here.name}=={here.version}", here.remote):
            return  # the installed copy, whose exercises were just measured
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(@|==|>=|<=|~=|!=|\[|$)", requirement)
    if name and course.distribution and _canonical(name.group(1)) != _canonical(course.distribution):
        theirs = [c.name for c in courses.installed() if _canonical(c.distribution) == _canonical(name.group(1))]
        raise KataError(f"{requirement} is not the package of the course '{course.name}' ({course.distribution})"
                        + (f"; it ships {', '.join(theirs)}" if theirs else ""))
    warn(f"kata cannot look inside {requirement}: make sure it ships the course '{course.name}'"
         f" {course.version} with {', '.join(counted)}")


@contextlib.contextmanager
def _cpu_only():
    """Grade as a machine without a GPU would, even on one that has one: CUDA is hidden from new
    processes (CUDA_VISIBLE_DEVICES) and from children forked from this one (torch.cuda.is_available)."""
    saved_env = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    torch_cuda = None
    try:
        import torch
        torch_cuda, saved = torch.cuda, torch.cuda.is_available
        torch_cuda.is_available = lambda: False
    except ImportError:
        pass
    try:
        yield
    finally:
        if torch_cuda is not None:
            torch_cuda.is_available = saved
        if saved_env is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = saved_env


# --- GitHub Classroom ---------------------------------------------------------------------------

WORKFLOW_HEAD = """\
# Grades this repository with kata on every push and reports the points to GitHub Classroom.
# Written by `kata classroom github`; the hidden checks come from the installed course package.
# One reporter runner per exercise (each its own step output and <RUNNER>_RESULTS variable).
name: Autograding Tests
on:
  push:
  workflow_dispatch:
  repository_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    name: Autograding Tests
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install kata
        env:
          KATA_PACKAGE: @PACKAGE@
@COURSE_ENV@        run: python -m pip install --extra-index-url @INDEX@ "$KATA_PACKAGE"@COURSE_ARG@
      - name: Sandbox for the learner's code
        # bubblewrap, and the user namespaces it needs (Ubuntu 24.04 restricts them); grading
        # falls back to `sandbox: none` if this cannot be done, and the report says so.
        run: |
          command -v bwrap >/dev/null || sudo apt-get install -y -q bubblewrap >/dev/null || true
          if [ -e /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]; then
            sudo sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0 || true
          fi
      - name: Grade
        id: kata
        # Also writes the job summary, annotates failing lines and sets one output per exercise.
        run: |
          rm -f .kata/results.json
          kata grade --workspace . --format html --out "$RUNNER_TEMP/kata-report.html"@IDS@
      - name: Upload the report
        if: always() && steps.kata.outcome == 'success'
        uses: actions/upload-artifact@v4
        with:
          name: kata-report
          path: ${{ runner.temp }}/kata-report.html
      - name: A zero for any exercise kata could not grade
        id: fallback
        if: always()
        # Used only where the Grade step left no output (kata failed to install or to run).
        run: |
          zero() {  # runner, exercise id, its points
            json='{"version":1,"status":"error","max_score":'"$3"',"tests":[{"name":"'"$2"': not graded","status":"error","score":0,"max_score":'"$3"',"line_no":0,"message":"kata could not grade '"$2"'; the Install kata and Grade steps above say why."}]}'
            echo "$1=$(printf '%s' "$json" | base64 -w0)" >> "$GITHUB_OUTPUT"
          }
"""

WORKFLOW_REPORT = """\
      - name: Report to GitHub Classroom
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
"""


def _yaml_single(text: str) -> str:
    """A YAML single-quoted scalar: nothing in it is special but a quote, which is doubled."""
    return "'" + text.replace("'", "''") + "'"


def _check_package(package: str) -> str:
    if not package.strip() or any(ch in package for ch in "\n\r\0"):
        raise KataError(f"--package {package!r}: one pip requirement, on one line")
    return package


def workflow_text(package: str | None = None, exercises: list[KitExercise] | None = None, *,
                  course_package: str = "", ids: list[str] | None = None) -> str:
    """The workflow that installs `package` (kata; for a course other than the shipped one also
    `course_package`) and grades `ids` (default: every exercise of the workspace's course) for
    runners of `exercises` (default: the shipped course, measured)."""
    package = _check_package(default_package() if package is None else package)
    exercises = course_points() if exercises is None else exercises
    course_env = f"          COURSE_PACKAGE: {_yaml_single(_check_package(course_package))}\n" if course_package else ""
    head = (WORKFLOW_HEAD.replace("@PACKAGE@", _yaml_single(package)).replace("@INDEX@", TORCH_CPU_INDEX)
            .replace("@COURSE_ENV@", course_env).replace("@COURSE_ARG@", ' "$COURSE_PACKAGE"' if course_package else "")
            .replace("@IDS@", "".join(f" {i}" for i in ids or ())))
    lines = [head]
    for e in exercises:
        lines.append(f"          zero {e.runner} {e.id} {pts(e.max_score)}\n")
    lines.append(WORKFLOW_REPORT)
    for e in exercises:
        lines.append(f"          {e.runner.upper()}_RESULTS: ${{{{ steps.kata.outputs.{e.runner}"
                     f" || steps.fallback.outputs.{e.runner} }}}}\n")
    lines.append("        with:\n")
    lines.append(f"          runners: {','.join(e.runner for e in exercises)}\n")
    return "".join(lines)


def github_target(*, repo: Path, force: bool = False) -> Path:
    """Where the workflow goes; KataError when `repo` is not a workspace or it would overwrite."""
    repo = Path(repo)
    if not (repo / MANIFEST).is_file():
        raise KataError(f"{repo} is not a kata workspace (no {MANIFEST}); create one with `kata init {repo}`")
    target = repo / WORKFLOW_PATH
    if target.exists() and not force:
        raise KataError(f"{target} exists; pass --force to replace it")
    return target


def write_github_workflow(*, repo: Path, package: str | None = None, force: bool = False,
                          exercises: list[KitExercise] | None = None, course_package: str = "",
                          ids: list[str] | None = None) -> Path:
    """Write .github/workflows/kata.yml into a learner's repository (a kata workspace)."""
    target = github_target(repo=repo, force=force)
    text = workflow_text(package, exercises, course_package=course_package, ids=ids)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def github_kit(*, repo: Path, course: Course, package: str | None, kata_package: str | None,
               force: bool, warn, announce=lambda: None) -> tuple[Path, list[KitExercise]]:
    """The workflow for a learner repository of `course` (an assignment when `course.only`)."""
    github_target(repo=repo, force=force)  # refuse before the time spent measuring
    with tempfile.TemporaryDirectory(prefix="kata-kit-") as tmp:
        packages = kit_packages(course, package=package, kata_package=kata_package, carry=False,
                                workdir=Path(tmp), warn=warn)
    workflow_text(packages.requirements[0], exercises=[])  # a requirement that cannot go in fails now
    announce()
    exercises = course_points(course)
    kata_req, course_req = (packages.kata, packages.course) if packages.kata else (packages.course, "")
    ids = list(course.only) or None
    target = write_github_workflow(repo=repo, package=kata_req, force=force, exercises=exercises,
                                   course_package=course_req, ids=ids)
    return target, exercises


# --- Gradescope ---------------------------------------------------------------------------------

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image. Written by `kata classroom gradescope`.
set -euo pipefail
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip bubblewrap
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (@PYMIN@) else 1)'; then
  echo "kata needs Python @PYMIN_TEXT@ or newer; this image has $(python3 --version 2>&1)." >&2
  echo "Pick a newer base image in the assignment's autograder settings (Ubuntu 22.04 or later)." >&2
  exit 1
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install --extra-index-url @INDEX@ @PACKAGE@
/autograder/venv/bin/kata --version
/autograder/venv/bin/kata courses
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. Written by `kata classroom gradescope`.
set -uo pipefail
export PATH=/autograder/venv/bin:$PATH
RESULTS=/autograder/results/results.json
mkdir -p /autograder/results
# The submission as uploaded: a whole workspace, or loose exercise files (each graded in place of
# the stub with the same name, in a fresh workspace). Nothing is written into the submission.
kata classroom grade /autograder/submission@GRADE_ARGS@ --format gradescope --out "$RESULTS"
if [ ! -s "$RESULTS" ]; then
  printf '%s\\n' '{"score": 0, "output": "kata could not grade this submission; the autograder log says why.", "output_format": "text", "tests": []}' > "$RESULTS"
fi
"""

KIT_README = """\
kata autograder for Gradescope (written by `kata classroom gradescope`, kata @VERSION@)
Course: @COURSE@

Set the assignment's total points to @TOTAL@: the most a submission can score on Gradescope's
machines, which have no GPU, so checks that need one are skipped and not counted.

Per exercise: @PER_EXERCISE@

setup.sh installs Python (@PYMIN_TEXT@ or newer) and @PACKAGE@ (the wheels named
/autograder/source/... are in this zip); run_autograder grades /autograder/submission (a whole workspace or loose exercise files) and writes results.json.
"""


def gradescope_kit(*, out: Path, course: Course, package: str | None = None, kata_package: str | None = None,
                   warn=lambda line: None, announce=lambda: None) -> tuple[Path, float]:
    """The Gradescope zip for `course` (an assignment when `course.only`): it carries the course's
    wheel, and kata's unless kata came from a package index, so nothing else need be published."""
    with tempfile.TemporaryDirectory(prefix="kata-kit-") as tmp:
        packages = kit_packages(course, package=package, kata_package=kata_package, carry=True,
                                workdir=Path(tmp), warn=warn)
        announce()
        return write_gradescope_zip(out=out, packages=packages, course=course)


def write_gradescope_zip(*, out: Path, package: str | None = None, packages: Packages | None = None,
                         exercises: list[KitExercise] | None = None, course: Course | None = None
                         ) -> tuple[Path, float]:
    """A Gradescope autograder zip: setup.sh and run_autograder at the root of the archive, the
    wheels it installs, and a README.txt that says which total to set as the assignment's points.
    Returns (zip, that total). `package` alone (one requirement; a local wheel goes in the zip) is
    for the shipped course."""
    out = Path(out)
    if packages is None:
        package = _check_package(default_package() if package is None else package)
        local = Path(package)
        carried = (local,) if local.suffix in (".whl", ".gz", ".zip") and local.is_file() else ()
        packages = Packages("", f"{GRADESCOPE_SOURCE}/{local.name}" if carried else package, carried)
    exercises = course_points(course) if exercises is None else exercises
    total = sum(e.max_score for e in exercises)
    grade_args = ""
    if course is not None:
        grade_args = f" --course {shlex.quote(course.name)}" + "".join(f" --only {i}" for i in course.only)
    pymin = ", ".join(str(n) for n in PYTHON_MIN)
    pymin_text = ".".join(str(n) for n in PYTHON_MIN)
    setup = (SETUP_SH.replace("@INDEX@", TORCH_CPU_INDEX)
             .replace("@PACKAGE@", " ".join(shlex.quote(r) for r in packages.requirements))
             .replace("@PYMIN@", pymin).replace("@PYMIN_TEXT@", pymin_text))
    readme = (KIT_README.replace("@VERSION@", __version__).replace("@TOTAL@", pts(total))
              .replace("@COURSE@", f"{course.label}" + (f", exercises {', '.join(course.only)}" if course.only else "")
                       if course is not None else courses.SHIPPED)
              .replace("@PER_EXERCISE@", ", ".join(f"{e.id} {pts(e.max_score)}" for e in exercises))
              .replace("@PYMIN_TEXT@", pymin_text).replace("@PACKAGE@", " and ".join(packages.requirements)))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text, mode in (("setup.sh", setup, 0o755),
                                 ("run_autograder", RUN_AUTOGRADER.replace("@GRADE_ARGS@", grade_args), 0o755),
                                 ("README.txt", readme, 0o644)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for path in packages.carried:
            zf.write(path, path.name)
    tmp.replace(out)
    return out, total
