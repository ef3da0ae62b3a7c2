"""Classroom CI, ready to use: a GitHub Actions workflow for a learner's repository, and a
Gradescope autograder zip. Both install dl-kata and run `kata grade`; the hidden checks come
from the installed package, never from the learner's files.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from . import __version__
from .api import KataError
from .manifest import MANIFEST

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
WORKFLOW_PATH = Path(".github") / "workflows" / "kata.yml"


def default_package() -> str:
    return f"dl-kata=={__version__}"


WORKFLOW = """\
# Grades this repository with kata on every push and reports the points to GitHub Classroom.
# Written by `kata classroom github`; the hidden checks come from the installed dl-kata package.
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
        run: python -m pip install --extra-index-url @INDEX@ "@PACKAGE@"
      - name: Grade
        id: kata
        # Also writes the job summary, annotates failing lines and sets the output `result`.
        run: |
          rm -f .kata/results.json
          kata grade --workspace . --format classroom --out "${{ runner.temp }}/kata-classroom.b64"
      - name: HTML report
        if: always() && steps.kata.outcome == 'success'
        run: kata report --workspace . --format html --out "${{ runner.temp }}/kata-report.html"
      - name: Upload the report
        if: always() && steps.kata.outcome == 'success'
        uses: actions/upload-artifact@v4
        with:
          name: kata-report
          path: ${{ runner.temp }}/kata-report.html
      - name: Report to GitHub Classroom
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          KATA_RESULTS: "${{ steps.kata.outputs.result }}"
        with:
          runners: kata
"""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image. Written by `kata classroom gradescope`.
set -euo pipefail
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install --extra-index-url @INDEX@ "@PACKAGE@"
/autograder/venv/bin/kata --version
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. Written by `kata classroom gradescope`.
set -uo pipefail
export PATH=/autograder/venv/bin:$PATH
RESULTS=/autograder/results/results.json
SUBMISSION=/autograder/submission
mkdir -p /autograder/results
if [ ! -f "$SUBMISSION/exercises/manifest.toml" ]; then
  # Loose files were uploaded: a fresh workspace, each file in place of the stub of the same name.
  WS=/autograder/workspace
  rm -rf "$WS"
  kata init "$WS" > /dev/null
  find "$WS/exercises" -name '*.py' | while read -r stub; do
    mine=$(find "$SUBMISSION" -type f -name "$(basename "$stub")" | head -n 1)
    if [ -n "$mine" ]; then cp "$mine" "$stub"; fi
  done
  SUBMISSION=$WS
fi
rm -rf "$SUBMISSION/.kata"  # state uploaded with the submission is never trusted
kata grade --workspace "$SUBMISSION" --format gradescope --out "$RESULTS"
if [ ! -s "$RESULTS" ]; then
  printf '%s\\n' '{"score": 0, "output": "kata could not grade this submission; the autograder log says why.", "tests": []}' > "$RESULTS"
fi
"""


def _fill(text: str, package: str) -> str:
    if '"' in package or "\n" in package:
        raise KataError(f"--package {package!r}: a pip requirement without quotes or newlines")
    return text.replace("@INDEX@", TORCH_CPU_INDEX).replace("@PACKAGE@", package)


def workflow_text(package: str | None = None) -> str:
    return _fill(WORKFLOW, package or default_package())


def write_github_workflow(*, repo: Path, package: str | None = None, force: bool = False) -> Path:
    """Write .github/workflows/kata.yml into a learner's repository (a kata workspace)."""
    repo = Path(repo)
    if not (repo / MANIFEST).is_file():
        raise KataError(f"{repo} is not a kata workspace (no {MANIFEST}); create one with `kata init {repo}`")
    target = repo / WORKFLOW_PATH
    if target.exists() and not force:
        raise KataError(f"{target} exists; pass --force to replace it")
    text = workflow_text(package)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def write_gradescope_zip(*, out: Path, package: str | None = None) -> Path:
    """A Gradescope autograder zip: setup.sh and run_autograder at the root of the archive.

    A `package` that names a local file (a wheel or an sdist of dl-kata) is put in the zip and
    installed from there, for a course that is not on PyPI.
    """
    out = Path(out)
    package = package or default_package()
    extra: list[Path] = []
    local = Path(package)
    if local.suffix in (".whl", ".gz", ".zip") and local.is_file():
        extra.append(local)
        package = f"/autograder/source/{local.name}"
    setup, run = _fill(SETUP_SH, package), _fill(RUN_AUTOGRADER, package)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", setup), ("run_autograder", run)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for path in extra:
            zf.write(path, path.name)
    tmp.replace(out)
    return out
