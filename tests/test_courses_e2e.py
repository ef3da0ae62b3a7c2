"""A course of one's own, from nothing to a learner's grade, in a fresh virtual environment; each
step is a command an instructor or a learner types. The fresh venv sees the test run's packages
(torch, numpy, pytest, ...) through a .pth file, so only kata and the courses are installed in it:
kata from this repository as a regular (non-editable) install, the way a wheel lays it out."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

SCALE_STUB = '''\
"""Scaling a list: every value times k.

Worked example: scale([1.0, -2.0], 3.0) == [3.0, -6.0].
"""


def scale(xs: list[float], k: float) -> list[float]:
    """A new list: each value of xs times k; xs itself is left as it was."""
    # TODO: multiply each value by k
    raise NotImplementedError("scale: fill in the TODO")
'''
SCALE_SOLUTION = '''\
def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
'''
SCALE_MUTANT = '''\
"""Mutant: adds k instead of multiplying.

expect: added k instead of multiplying
"""


def scale(xs: list[float], k: float) -> list[float]:
    return [k + x for x in xs]
'''
PARTLY_RIGHT = '''\
def scale(xs, k):
    return [k * x for x in xs[:3]] + list(xs[3:])  # forgets every value after the third
'''
SCALE_CHECK = '''\
import pytest

from grader.checks.helpers import assert_close, rng


@pytest.mark.points(3)
def test_worked_example(sub):
    """scale([1, -2], 3) is [3, -6]"""
    assert_close(sub.scale([1.0, -2.0], 3.0), [3.0, -6.0], "scale([1, -2], 3)",
                 diagnose=[("added k instead of multiplying", [4.0, 1.0])])


@pytest.mark.parametrize("n", [1, 5])
def test_random(sub, n):
    """scale of seeded random lists"""
    xs = [float(v) for v in rng(n).standard_normal(n)]
    got = sub.scale(list(xs), 2.5)
    assert_close(got, [2.5 * x for x in xs], f"scale of {n} values",
                 diagnose=[("added k instead of multiplying", [2.5 + x for x in xs])])
'''


def fresh_venv(env_dir: Path) -> Path:
    """A new venv that sees this run's packages; its own bundled setuptools is removed so the run's
    (new enough to build wheels) is used. Returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)}))
    (site / "base.pth").write_text(sysconfig.get_path("purelib") + "\n")
    for bundled in site.glob("setuptools*"):
        shutil.rmtree(bundled) if bundled.is_dir() else bundled.unlink()
    shutil.rmtree(site / "_distutils_hack", ignore_errors=True)
    (site / "distutils-precedence.pth").unlink(missing_ok=True)
    return env_dir / "bin"


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv with kata installed from this repository (not editable)."""
    root = tmp_path_factory.mktemp("e2e")
    bin_dir = fresh_venv(root / "venv")
    build = root / "kata-src"  # a clean copy: no venv, no build leftovers of the checkout
    shutil.copytree(REPO, build, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                               "__pycache__", ".kata"))
    _run(bin_dir, root, "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(build))
    return bin_dir, root


def _run(bin_dir: Path, cwd: Path, *args: str, ok: bool = True, extra_env: dict | None = None
         ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KATA_COURSE", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", NO_COLOR="1", XDG_CACHE_HOME=str(cwd / ".cache"),
               PIP_DISABLE_PIP_VERSION_CHECK="1", **(extra_env or {}))
    tool = str(bin_dir / args[0]) if (bin_dir / args[0]).exists() else args[0]
    done = subprocess.run([tool, *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def vector_course(venv):
    """Steps 1 and 2: a course scaffolded, written, proved and installed. Returns what
    `kata dev check` and `kata courses` printed."""
    bin_dir, root = venv
    # 1. scaffold, add an exercise, write it
    _run(bin_dir, root, "kata", "dev", "new", "vectors", "--name", "vector-basics")
    project = root / "vectors"
    _run(bin_dir, project, "kata", "dev", "add", "scale", "--chapter", "02_lists")
    package = project / "vector_basics"
    (package / "exercises" / "02_lists" / "scale.py").write_text(SCALE_STUB)
    (package / "solutions" / "02_lists" / "scale.py").write_text(SCALE_SOLUTION)
    (package / "checks" / "02_lists" / "test_scale.py").write_text(SCALE_CHECK)
    (package / "mutants" / "scale" / "summed.py").unlink()
    (package / "mutants" / "scale" / "added.py").write_text(SCALE_MUTANT)
    proved = _run(bin_dir, project, "kata", "dev", "check")
    # 2. install it; kata lists it beside the shipped course
    _run(bin_dir, root, "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(project))
    return proved.stdout, _run(bin_dir, root, "kata", "courses").stdout


def test_a_course_of_ones_own_from_scaffold_to_a_gradescope_score(venv, vector_course):
    bin_dir, root = venv
    proved, listed = vector_course
    package = root / "vectors" / "vector_basics"
    assert "course checks hold" in proved and "caught: 'added k instead of multiplying'" in proved
    assert "vector-basics" in listed and "0.1.0" in listed and " 2 exercises" in listed
    assert "deep-learning" in listed and "(default)" in listed

    # 3. a learner's workspace of it: the solution passes, the untouched stub is not started
    _run(bin_dir, root, "kata", "init", "ws", "--course", "vector-basics")
    ws = root / "ws"
    assert json.loads((ws / ".kata" / "course.json").read_text())["name"] == "vector-basics"
    shutil.copyfile(package / "solutions" / "02_lists" / "scale.py", ws / "exercises" / "02_lists" / "scale.py")
    passed = _run(bin_dir, ws, "kata", "check", "scale")
    assert "passed, 6/6" in passed.stdout
    stub = _run(bin_dir, ws, "kata", "grade", "--format", "json", "--out", "r.json", "mean", ok=False)
    result = json.loads((ws / "r.json").read_text())["exercises"][0]
    assert stub.returncode == 0 and result["status"] == "not_started" and result["score"] == 0

    # 4. a Gradescope kit for this week's exercise; the zip alone installs and grades a loose upload
    kit = _run(bin_dir, root, "kata", "classroom", "gradescope", "ag.zip", "--course", "vector-basics",
               "--only", "scale")
    assert "total points to 6 " in kit.stdout
    zipped = zipfile.ZipFile(root / "ag.zip")
    wheels = sorted(n for n in zipped.namelist() if n.endswith(".whl"))
    assert [w.split("-")[0] for w in wheels] == ["dl_kata", "vector_basics"]
    source = root / "autograder" / "source"
    zipped.extractall(source)
    grader_env = root / "grader-venv"  # Gradescope's image: only what setup.sh installs
    _run(fresh_venv(grader_env), root, "pip", "install", "-q", "--no-deps", *(str(source / w) for w in wheels))
    upload = root / "autograder" / "submission" / "hw"
    upload.mkdir(parents=True)
    (upload / "scale.py").write_text(PARTLY_RIGHT)
    script = (source / "run_autograder").read_text().replace("/autograder/venv/bin", str(grader_env / "bin"))
    script = script.replace("/autograder", str(root / "autograder"))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300,
                          env={**{k: v for k, v in os.environ.items() if k != "KATA_COURSE"},
                               "XDG_CACHE_HOME": str(root / ".cache")})
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "autograder" / "results" / "results.json").read_text())
    # the worked example (3 points), one value (1) and the forbidden-API check (1) hold; five values fail
    assert results["score"] == 5 and sum(t["max_score"] for t in results["tests"]) == 6, results

    # 5. a GitHub workflow for the same assignment grades that exercise alone
    _run(bin_dir, root, "kata", "classroom", "github", "ws", "--only", "scale",
         "--package", "vector-basics @ git+https://example.org/vectors.git@v0.1.0",
         "--kata-package", "dl-kata @ git+https://example.org/kata.git@v0.2.0")
    workflow = yaml.safe_load((ws / ".github" / "workflows" / "kata.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    assert steps[-1]["with"]["runners"] == "scale"
    grade = next(s for s in steps if s.get("id") == "kata")["run"]
    assert grade.rstrip().endswith(" scale")
    install = next(s for s in steps if s.get("name") == "Install kata")
    assert install["env"]["COURSE_PACKAGE"].startswith("vector-basics @ git+")


def test_two_courses_side_by_side_each_workspace_its_own(venv, vector_course):
    bin_dir, root = venv
    _run(bin_dir, root, "kata", "init", "dl")  # the default: the shipped course
    assert json.loads((root / "dl" / ".kata" / "course.json").read_text())["name"] == "deep-learning"
    shipped = _run(bin_dir, root / "dl", "kata", "list").stdout
    assert "linear_regression_numpy" in shipped and "scale" not in shipped
    _run(bin_dir, root, "kata", "init", "week2", "--course", "vector-basics", "--only", "scale")
    week = _run(bin_dir, root / "week2", "kata", "list").stdout
    assert "scale" in week and "mean" not in week and "linear_regression_numpy" not in week
    assert sorted(p.name for p in (root / "week2" / "exercises").rglob("*.py")) == ["scale.py"]
    numpy = _run(bin_dir, root / "dl", "kata", "check", "linear_regression_numpy", ok=False)
    assert numpy.returncode == 1 and "Linear regression" in numpy.stdout  # graded by its own course


def test_a_zipped_course_on_the_path_is_found_and_graded(venv):
    bin_dir, root = venv
    project = root / "zipped"
    _run(bin_dir, root, "kata", "dev", "new", "zipped", "--name", "zipped-course")
    _run(bin_dir, root, "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(project), "-w", "wheels")
    wheel = next((root / "wheels").glob("zipped_course-*.whl"))
    on_path = {"PYTHONPATH": str(wheel)}
    assert "zipped-course" in _run(bin_dir, root, "kata", "courses", extra_env=on_path).stdout
    _run(bin_dir, root, "kata", "init", "zws", "--course", "zipped-course", extra_env=on_path)
    shutil.copyfile(project / "zipped_course" / "solutions" / "01_basics" / "mean.py",
                    root / "zws" / "exercises" / "01_basics" / "mean.py")
    assert "passed" in _run(bin_dir, root / "zws", "kata", "check", "mean", extra_env=on_path).stdout


@pytest.mark.parametrize("args, phrase", [
    (["init", "x1", "--course", "no-such-course"], "no course called 'no-such-course' is installed"),
    (["init", "x2", "--course", "./not-a-course"], "not a course folder"),
    (["init", "x3", "--only", "no_such_exercise"], "unknown exercise 'no_such_exercise'"),
    (["classroom", "gradescope", "x.zip", "--course", "missing-course"], "no course called 'missing-course'"),
    (["classroom", "gradescope", "x.zip", "--only", "nope"], "unknown exercise 'nope'"),
    (["dev", "add", "x", "--chapter", "01"], "not inside a course project"),
])
def test_bad_input_is_one_line(venv, args, phrase):
    bin_dir, root = venv
    (root / "not-a-course").mkdir(exist_ok=True)
    before = sorted(p.name for p in root.iterdir())
    done = _run(bin_dir, root, "kata", *args, ok=False)
    assert done.returncode == 2 and phrase in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in root.iterdir()) == before  # nothing was written


def test_a_workspace_whose_course_is_gone_or_of_another_major_says_how_to_install_it(venv):
    bin_dir, root = venv
    ws = root / "orphan"
    _run(bin_dir, root, "kata", "init", str(ws))
    record = ws / ".kata" / "course.json"
    record.write_text(json.dumps({"name": "retired", "version": "2.1.0", "distribution": "retired-course"}))
    gone = _run(bin_dir, ws, "kata", "list", ok=False)
    assert gone.returncode == 2 and "pip install 'retired-course>=2,<3'" in gone.stderr
    data = json.loads(textwrap.dedent(record.read_text()))
    record.write_text(json.dumps({**data, "name": "deep-learning", "distribution": "dl-kata", "version": "7.0.0"}))
    other = _run(bin_dir, ws, "kata", "next", ok=False)
    assert other.returncode == 2 and "7.0.0" in other.stderr and "install a 7.x" in other.stderr
