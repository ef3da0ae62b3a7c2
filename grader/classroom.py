"""Classroom CI, ready to use: a GitHub Actions workflow for a learner's repository, and a
Gradescope autograder zip. Both install dl-kata and run `kata grade`; the hidden checks come
from the installed package, never from the learner's files.

What goes into a generated script from the instructor's `--package` is quoted so that nothing in
it is expanded by a shell: a YAML single-quoted environment value in the workflow (GitHub still
substitutes a `${{ secrets.NAME }}` in it), a shell single-quoted word in setup.sh.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .api import KataError
from .course import Course, default_course
from .manifest import MANIFEST
from .render.common import pts

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
WORKFLOW_PATH = Path(".github") / "workflows" / "kata.yml"
PYTHON_MIN = (3, 10)


def default_package() -> str:
    return f"dl-kata=={__version__}"


@dataclass(frozen=True)
class Exercise:
    """What a kit needs to know of one exercise: its id, runner name and CPU maximum."""
    id: str
    runner: str
    max_score: float


def course_points(course: Course | None = None) -> list[Exercise]:
    """Each exercise's maximum on a CPU-only machine such as GitHub's and Gradescope's runners
    (GPU-only checks skip there and are not counted), found by grading the untouched stubs in a
    temporary folder with CUDA hidden: the checks themselves say their points."""
    from . import api
    from .render.classroom import runner_names
    course = course or default_course()
    specs = list(course.manifest)
    with tempfile.TemporaryDirectory(prefix="kata-points-") as tmp, _cpu_only():
        space = api.init(dest=Path(tmp) / "ws", course=course)
        results = api.grade_files(specs, {s.id: space.exercise_file(s) for s in specs}, course=course)
    names = runner_names(s.id for s in specs)
    return [Exercise(r.id, names[r.id], r.max_score) for r in results]


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
# Written by `kata classroom github`; the hidden checks come from the installed dl-kata package.
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
        run: python -m pip install --extra-index-url @INDEX@ "$KATA_PACKAGE"
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
          kata grade --workspace . --format html --out "$RUNNER_TEMP/kata-report.html"
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


def workflow_text(package: str | None = None, exercises: list[Exercise] | None = None) -> str:
    """The workflow for a course whose exercises are `exercises` (default: this course, measured)."""
    package = _check_package(default_package() if package is None else package)
    exercises = course_points() if exercises is None else exercises
    lines = [WORKFLOW_HEAD.replace("@PACKAGE@", _yaml_single(package)).replace("@INDEX@", TORCH_CPU_INDEX)]
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
                          exercises: list[Exercise] | None = None) -> Path:
    """Write .github/workflows/kata.yml into a learner's repository (a kata workspace)."""
    target = github_target(repo=repo, force=force)
    text = workflow_text(package, exercises)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


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
kata classroom grade /autograder/submission --format gradescope --out "$RESULTS"
if [ ! -s "$RESULTS" ]; then
  printf '%s\\n' '{"score": 0, "output": "kata could not grade this submission; the autograder log says why.", "output_format": "text", "tests": []}' > "$RESULTS"
fi
"""

KIT_README = """\
kata autograder for Gradescope (written by `kata classroom gradescope`, kata @VERSION@)

Set the assignment's total points to @TOTAL@: the most a submission can score on Gradescope's
machines, which have no GPU, so checks that need one are skipped and not counted.

Per exercise: @PER_EXERCISE@

setup.sh installs Python (@PYMIN_TEXT@ or newer) and @PACKAGE@; run_autograder grades
/autograder/submission (a whole workspace or loose exercise files) and writes results.json.
"""


def write_gradescope_zip(*, out: Path, package: str | None = None,
                         exercises: list[Exercise] | None = None) -> tuple[Path, float]:
    """A Gradescope autograder zip: setup.sh and run_autograder at the root of the archive, and a
    README.txt that says which total to set as the assignment's points. Returns (zip, that total).

    A `package` that names a local file (a wheel or an sdist of dl-kata) is put in the zip and
    installed from there, for a course that is not on PyPI.
    """
    out = Path(out)
    package = _check_package(default_package() if package is None else package)
    extra: list[Path] = []
    local = Path(package)
    if local.suffix in (".whl", ".gz", ".zip") and local.is_file():
        extra.append(local)
        package = f"/autograder/source/{local.name}"
    exercises = course_points() if exercises is None else exercises
    total = sum(e.max_score for e in exercises)
    pymin = ", ".join(str(n) for n in PYTHON_MIN)
    pymin_text = ".".join(str(n) for n in PYTHON_MIN)
    setup = (SETUP_SH.replace("@INDEX@", TORCH_CPU_INDEX).replace("@PACKAGE@", shlex.quote(package))
             .replace("@PYMIN@", pymin).replace("@PYMIN_TEXT@", pymin_text))
    readme = (KIT_README.replace("@VERSION@", __version__).replace("@TOTAL@", pts(total))
              .replace("@PER_EXERCISE@", ", ".join(f"{e.id} {pts(e.max_score)}" for e in exercises))
              .replace("@PYMIN_TEXT@", pymin_text).replace("@PACKAGE@", package))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text, mode in (("setup.sh", setup, 0o755), ("run_autograder", RUN_AUTOGRADER, 0o755),
                                 ("README.txt", readme, 0o644)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for path in extra:
            zf.write(path, path.name)
    tmp.replace(out)
    return out, total
