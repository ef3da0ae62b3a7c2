"""The workflow `kata classroom github` writes, run the way GitHub Actions runs it (as far as a
test can): the YAML parsed, each `run:` script executed by bash with GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and RUNNER_TEMP, `kata` on PATH, `if:` conditions and `${{ }}` expressions
evaluated; then every runner's variable goes through the model of GitHub Classroom's reporter
(tests/actions_model.py). Learner states: a fresh `kata init` workspace, a half-done one and a
complete one, plus a Grade step that dies before writing its outputs."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from grader import classroom

from .actions_model import MAX_ARG_STRLEN, ReporterError, evaluate, read_outputs, run_reporter, substitute
from .conftest import SUBMISSIONS

yaml = pytest.importorskip("yaml")

PACKAGE = "git+https://x-access-token:${{ secrets.KATA_TOKEN }}@github.com/org/kata@v0.1.0 $HOME `id` it's"
SECRET = "s3cr3t-$(touch pwned)"


def _shim(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_workflow(repo: Path, tmp: Path, *, broken_kata: bool = False) -> dict:
    """Run .github/workflows/kata.yml of `repo`; returns the steps' outcomes, the reporter's run
    and what pip was asked to install."""
    doc = yaml.safe_load((repo / ".github" / "workflows" / "kata.yml").read_text())
    assert doc["name"] == "Autograding Tests" and list(doc["jobs"]) == ["run-autograding-tests"]
    job = doc["jobs"]["run-autograding-tests"]
    bin_dir, temp = tmp / "bin", tmp / "runner-temp"
    temp.mkdir(parents=True)
    pip_args = tmp / "pip-args"
    # `python -m pip install ...` is recorded, not run (kata is already installed here)
    _shim(bin_dir, "python", f'if [ "$1 $2 $3" = "-m pip install" ]; then printf "%s\\n" "$@" > {pip_args}; exit 0; fi\n'
                             f'exec {sys.executable} "$@"\n')
    kata = Path(sys.executable).parent / "kata"
    _shim(bin_dir, "kata", "echo 'kata: ImportError: torch' >&2; exit 1\n" if broken_kata
          else f'exec {kata} "$@"\n')
    steps_ctx: dict = {}
    failed = False
    ctx = {"steps": steps_ctx, "runner": {"temp": str(temp)}, "github": {"actor": "learner"},
           "secrets": {"KATA_TOKEN": SECRET},
           "functions": {"always": lambda: True, "success": lambda: not failed, "failure": lambda: failed}}
    assert evaluate(job["if"], ctx)
    reporter, summary = None, tmp / "summary.md"
    for n, step in enumerate(job["steps"]):
        sid = step.get("id", f"step{n}")
        if not evaluate(step.get("if", "success()"), ctx):
            steps_ctx[sid] = {"outcome": "skipped", "outputs": {}}
            continue
        env = {k: substitute(v, ctx) for k, v in (step.get("env") or {}).items()}
        if "uses" in step:
            outcome = "success"  # checkout, setup-python, upload-artifact: assumed to work
            if step["uses"].startswith("classroom-resources/autograding-grading-reporter@"):
                reporter = run_reporter(substitute(step["with"]["runners"], ctx), env)
                outcome = "failure" if reporter.failed else "success"
            steps_ctx[sid] = {"outcome": outcome, "outputs": {}}
            continue
        output = tmp / f"output-{n}"
        output.touch()
        full_env = {**{k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}, **env,
                    "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_ACTIONS": "true",
                    "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
                    "RUNNER_TEMP": str(temp), "GITHUB_WORKSPACE": str(repo)}
        script = tmp / f"step-{n}.sh"
        script.write_text(substitute(step["run"], ctx))
        done = subprocess.run(["bash", "-e", str(script)], cwd=repo, env=full_env, capture_output=True,
                              text=True, timeout=600)
        outcome = "success" if done.returncode == 0 else "failure"
        failed = failed or outcome == "failure"
        steps_ctx[sid] = {"outcome": outcome, "outputs": read_outputs(output), "log": done.stdout + done.stderr}
    return {"steps": steps_ctx, "reporter": reporter, "pip": pip_args.read_text().splitlines()[5:],
            "summary": summary.read_text() if summary.exists() else ""}


_POINTS: list = []


@pytest.fixture
def repo(workspace, course):
    """A learner's repository of the fake course, with the workflow in it (the course's points
    measured once for the module)."""
    if not _POINTS:
        _POINTS.extend(classroom.course_points(course))
    classroom.write_github_workflow(repo=workspace.root, package=PACKAGE, exercises=list(_POINTS))
    return workspace.root


def _solve(repo: Path, course, *ids: str) -> None:
    for i in ids:
        spec = course.manifest.get(i)
        shutil.copyfile(course.solutions_dir / spec.relpath, repo / "exercises" / spec.relpath)


@pytest.mark.parametrize("state, expected", [("fresh", (0, 6)), ("half", (4, 6)), ("complete", (6, 6))])
def test_the_workflow_runs_green_and_reports_kata_total(repo, course, tmp_path, state, expected):
    if state == "half":  # adder: add and scale right, mul wrong (4 of its 5); greeter untouched
        shutil.copyfile(SUBMISSIONS / "adder" / "failing.py", repo / "exercises" / "01_basics" / "adder.py")
    if state == "complete":
        _solve(repo, course, "adder", "greeter")
    run = run_workflow(repo, tmp_path / "actions")
    steps, reporter = run["steps"], run["reporter"]
    assert steps["kata"]["outcome"] == "success", steps["kata"]["log"]
    assert all(s["outcome"] in ("success", "skipped") for s in steps.values()), steps
    assert reporter is not None and reporter.failed is None  # green: every runner was graded
    assert reporter.recorded == expected  # what GitHub Classroom records
    assert tuple(map(float, reporter.total_row)) == expected  # the table the learner reads
    assert f"Grand total tests passed: {expected[0]:g}/{expected[1]:g}" in reporter.log  # one test a point
    for runner, score, maximum in reporter.table:
        assert f"Total points for {runner}: {float(score):.2f}/{maximum}" in reporter.log or maximum == "0"
    # kata's own numbers, in the job summary, agree
    assert run["summary"].startswith(f"## kata: {expected[0]:g}/{expected[1]:g}")
    # --package reached pip as written, with GitHub's secret put in and nothing expanded by a shell
    assert run["pip"] == [PACKAGE.replace("${{ secrets.KATA_TOKEN }}", SECRET)]
    assert not (repo / "pwned").exists()
    assert (tmp_path / "actions" / "runner-temp" / "kata-report.html").is_file()


def test_a_grade_step_that_dies_still_leaves_every_runner_a_result(repo, tmp_path):
    run = run_workflow(repo, tmp_path / "actions", broken_kata=True)
    steps, reporter = run["steps"], run["reporter"]
    assert steps["kata"]["outcome"] == "failure" and steps["kata"]["outputs"] == {}
    assert steps["fallback"]["outcome"] == "success"
    assert reporter.recorded == (0, 6)  # a zero of the right total, recorded, instead of no grade
    assert reporter.failed == "Some tests errored."  # and the run is red: grading itself broke
    assert any(line.startswith("Error: kata could not grade adder") for line in reporter.log)


def test_the_reporter_model_refuses_what_the_real_one_refuses():
    with pytest.raises(ReporterError, match="Unexpected end of JSON input"):
        run_reporter("adder", {"ADDER_RESULTS": ""})
    with pytest.raises(ReporterError, match="too long"):
        run_reporter("adder", {"ADDER_RESULTS": "A" * MAX_ARG_STRLEN})


def test_runner_names_are_what_the_reporter_accepts():
    import re

    from grader.render.classroom import runner_names
    names = runner_names(["ab_c", "a_bc", "conv2d", "linear_regression_numpy"])
    assert names["conv2d"] == "conv2d" and names["linear_regression_numpy"] == "linearregressionnumpy"
    text = classroom.workflow_text("dl-kata", [classroom.KitExercise(i, n, 1) for i, n in names.items()])
    runners = yaml.safe_load(text)["jobs"]["run-autograding-tests"]["steps"][-1]["with"]["runners"]
    assert re.fullmatch(r"([a-zA-Z0-9]+,)*[a-zA-Z0-9]+", runners)  # the reporter's own check
    assert len({r.upper() for r in runners.split(",")}) == 4  # four distinct variables


def test_outputs_are_read_as_github_reads_them(tmp_path):
    out = tmp_path / "out"
    out.write_text("a=1\nb<<EOF\nx\ny\nEOF\nc=z=2\n")
    assert read_outputs(out) == {"a": "1", "b": "x\ny", "c": "z=2"}
    ctx = {"steps": {"k": {"outputs": {"a": ""}}, "f": {"outputs": {"a": "zero"}}}, "functions": {}}
    assert substitute("${{ steps.k.outputs.a || steps.f.outputs.a }}", ctx) == "zero"
