"""A built wheel carries the whole course, so an installed kata (a classroom kit, an instructor's
machine) grades from the package alone, with nothing from a source checkout."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from grader.manifest import load as load_manifest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = load_manifest(ROOT / "exercises" / "manifest.toml").ids

PROBE = """
import sys
from pathlib import Path
from grader.cli import cli
from grader.courses import default as default_course
course = default_course()
assert Path(course.root).is_relative_to(Path(sys.argv[1])), course.root
spec = course.manifest.get("losses")
assert (course.solutions_dir / spec.relpath).is_file() and course.check_module(spec).is_file()
assert sorted(course.mutants_dir.glob("losses/*.py")), "no mutants"
cli(["init", "ws"], standalone_mode=False)
assert Path("ws/exercises/03_losses/losses.py").read_text() == (course.stubs_dir / spec.relpath).read_text()
from grader import sandbox  # the wheel's layout: the solutions inside the package are hidden
engine = sandbox.SandboxEngine(course)
command = engine.command()
hidden = {command[i + 1] for i, word in enumerate(command) if word == "--tmpfs"}
for folder in (course.solutions_dir, course.mutants_dir, course.alternatives_dir):
    assert str(engine.inside(folder)) in hidden, (folder, sorted(hidden))
engine.close()
print("OK", len(course.manifest.ids))
"""


def test_the_wheel_ships_the_course_and_an_installed_kata_uses_it(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(wheels)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = wheels.glob("dl_kata-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("grader/course/exercises/manifest.toml", "grader/course/solutions/03_losses/losses.py",
                   "grader/checks/03_losses/test_losses.py", "grader/render/templates/report.html.j2"):
        assert needed in names, f"{needed} is not in {wheel.name}"

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what `pip install` puts in site-packages
    env = {k: v for k, v in os.environ.items() if k != "KATA_COURSE"}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-c", PROBE, str(site)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.splitlines()[-1] == f"OK {len(SHIPPED)}", run.stdout + run.stderr[-3000:]
