"""Classroom CI: the GitHub workflow, the Gradescope zip, and the verbs around them
(`kata grade` inside GitHub Actions, `kata report`). Nothing here grades: reports are built by hand."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pytest
from click.testing import CliRunner

from grader import api, classroom
from grader.cli import cli
from grader.render.classroom import decode, runners

from .report_samples import expected_totals, sample_report

FAKE_POINTS = [classroom.KitExercise("adder", "adder", 5), classroom.KitExercise("greeter", "greeter", 1)]


@pytest.fixture
def runner():
    return CliRunner()


# --- GitHub Classroom ---------------------------------------------------------------------------

COURSE_GIT = "git+https://example.org/course.git@v1"
KATA_GIT = "dl-kata @ git+https://example.org/kata.git@v0.2.0"


def test_github_workflow_is_written_into_a_learner_repo(workspace, runner):
    result = runner.invoke(cli, ["classroom", "github", str(workspace.root), "--package", COURSE_GIT,
                                 "--kata-package", KATA_GIT])
    assert result.exit_code == 0, result.output
    assert "2 exercises, one reporter runner each, 6 points" in result.output
    assert "cannot look inside" in result.output  # a git URL: kata says it took it on trust
    text = (workspace.root / ".github" / "workflows" / "kata.yml").read_text()
    assert f"KATA_PACKAGE: '{KATA_GIT}'" in text and f"COURSE_PACKAGE: '{COURSE_GIT}'" in text
    assert ('pip install --extra-index-url https://download.pytorch.org/whl/cpu "$KATA_PACKAGE" "$COURSE_PACKAGE"'
            in text)
    assert "kata grade --workspace . --format html" in text and "id: kata" in text
    # one runner per exercise, each read from its own variable, with the fallback's zero behind it
    assert "runners: adder,greeter" in text
    assert "ADDER_RESULTS: ${{ steps.kata.outputs.adder || steps.fallback.outputs.adder }}" in text
    assert "zero adder adder 5\n" in text and "zero greeter greeter 1\n" in text
    assert "classroom-resources/autograding-grading-reporter@v1" in text
    assert "checks: write" in text and "\t" not in text


def test_github_workflow_is_valid_yaml():
    import yaml  # the `test` extra installs PyYAML
    doc = yaml.safe_load(classroom.workflow_text("git+https://example.org/kata.git", FAKE_POINTS))
    steps = doc["jobs"]["run-autograding-tests"]["steps"]
    assert [s.get("id") for s in steps if s.get("id")] == ["kata", "fallback"]
    assert steps[-1]["with"]["runners"] == "adder,greeter" and steps[-1]["if"] == "always()"
    assert set(steps[-1]["env"]) == {"ADDER_RESULTS", "GREETER_RESULTS"}
    install = next(s for s in steps if s.get("name") == "Install kata")
    assert install["env"]["KATA_PACKAGE"] == "git+https://example.org/kata.git"


def test_github_workflow_refuses_a_folder_that_is_not_a_workspace(tmp_path, runner):
    result = runner.invoke(cli, ["classroom", "github", str(tmp_path)])
    assert result.exit_code == 2 and "not a kata workspace" in result.output
    assert not (tmp_path / ".github").exists()


def test_github_workflow_is_not_overwritten_without_force(workspace, runner):
    target = workspace.root / ".github" / "workflows" / "kata.yml"
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    result = runner.invoke(cli, ["classroom", "github", str(workspace.root)])
    assert result.exit_code == 2 and "--force" in result.output and target.read_text() == "mine\n"
    result = runner.invoke(cli, ["classroom", "github", str(workspace.root), "--force", "--package", COURSE_GIT,
                                 "--kata-package", "dl-kata>=0.1"])
    assert result.exit_code == 0 and "KATA_PACKAGE: 'dl-kata>=0.1'" in target.read_text()


@pytest.mark.parametrize("package", ['x\n  run: rm -rf /', "", "a\rb"])
def test_package_on_more_than_one_line_is_refused(workspace, package):
    with pytest.raises(api.KataError, match="one line"):
        classroom.write_github_workflow(repo=workspace.root, package=package, exercises=FAKE_POINTS)
    assert not (workspace.root / ".github").exists()


def test_package_is_quoted_not_expanded():
    import yaml
    package = "git+https://x:${{ secrets.KATA_TOKEN }}@h/k@v1 $HOME `id` \"q\" it's"
    steps = yaml.safe_load(classroom.workflow_text(package, FAKE_POINTS))["jobs"]["run-autograding-tests"]["steps"]
    assert next(s for s in steps if s.get("name") == "Install kata")["env"]["KATA_PACKAGE"] == package


# --- Gradescope ---------------------------------------------------------------------------------

def test_gradescope_zip(course, tmp_path, runner):
    out = tmp_path / "dist" / "autograder.zip"
    result = runner.invoke(cli, ["classroom", "gradescope", str(out), "--package", "fake-course==1.0",
                                 "--kata-package", "dl-kata==0.2.0"])
    assert result.exit_code == 0, result.output
    assert "Set the assignment's total points to 6 " in result.output  # the fake course on a CPU
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "run_autograder", "setup.sh"]  # at the root
        for info in zf.infolist():
            if info.filename != "README.txt":
                assert (info.external_attr >> 16) & stat.S_IXUSR, f"{info.filename} is not executable"
        setup, run = zf.read("setup.sh").decode(), zf.read("run_autograder").decode()
        readme = zf.read("README.txt").decode()
    assert setup.startswith("#!/usr/bin/env bash") and run.startswith("#!/usr/bin/env bash")
    assert " dl-kata==0.2.0 fake-course==1.0\n" in setup and "sys.version_info >= (3, 10)" in setup
    assert "Set the assignment's total points to 6:" in readme and "adder 5, greeter 1" in readme
    assert ('kata classroom grade /autograder/submission --course course --format gradescope --out "$RESULTS"'
            in run)
    assert "RESULTS=/autograder/results/results.json" in run
    if shutil.which("bash"):
        for name, text in (("setup.sh", setup), ("run_autograder", run)):
            check = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
            assert check.returncode == 0, f"{name}: {check.stderr}"


def test_gradescope_zip_carries_a_local_wheel(tmp_path):
    wheel = tmp_path / "dl_kata-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    out, total = classroom.write_gradescope_zip(out=tmp_path / "ag.zip", package=str(wheel), exercises=FAKE_POINTS)
    assert total == 6
    with zipfile.ZipFile(out) as zf:
        assert wheel.name in zf.namelist()
        assert f" /autograder/source/{wheel.name}\n" in zf.read("setup.sh").decode()


def test_gradescope_setup_refuses_an_old_python_clearly(tmp_path):
    out, _ = classroom.write_gradescope_zip(out=tmp_path / "ag.zip", package="dl-kata", exercises=FAKE_POINTS)
    setup = zipfile.ZipFile(out).read("setup.sh").decode()
    check = next(line for line in setup.splitlines() if "sys.version_info" in line)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/usr/bin/env bash\nif [ \"$1\" = --version ]; then echo Python 3.8.10; exit 0; fi\n"
                                  "exit 1\n")  # an image whose python3 is too old
    (fake / "python3").chmod(0o755)
    script = "set -euo pipefail\n" + check + "\n" + "\n".join(
        setup.splitlines()[setup.splitlines().index(check) + 1:][:4]) + "\necho installed\n"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert done.returncode == 1 and "installed" not in done.stdout
    assert "kata needs Python 3.10 or newer; this image has Python 3.8.10." in done.stderr


# --- `kata grade` inside GitHub Actions (the grading itself is replaced by a known report) -------

@pytest.fixture
def graded(workspace, monkeypatch):
    report = sample_report()

    def fake_grade(*, workspace, ids=None, jobs=None, require_gpu=False, course=None, sandbox=None, cancel=None):
        workspace.save_results(report)
        return report

    monkeypatch.setattr(api, "grade", fake_grade)
    return report


def test_grade_in_github_actions(workspace, graded, runner, tmp_path, monkeypatch):
    summary, output, b64 = tmp_path / "summary.md", tmp_path / "gh_output", tmp_path / "out" / "classroom.b64"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace.root))
    result = runner.invoke(cli, ["grade", "--format", "classroom", "--out", str(b64)])
    assert result.exit_code == 0, result.output
    assert b64.read_text() == output.read_text()  # the format is the step outputs kata sets
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs == {r.name: r.value for r in runners(graded)} and len(outputs) == len(graded.exercises)
    assert summary.read_text().startswith("## kata: 6/15 (40 %)")
    assert "::error file=exercises/03_losses/losses.py,line=17,title=losses%3A cross_entropy" in result.stdout
    assert "Score 6/15" in result.stdout


def test_grade_outside_github_actions_writes_nothing_extra(workspace, graded, runner, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "gh_output"))
    result = runner.invoke(cli, ["grade", "--format", "junit"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "gh_output").exists() and "::error" not in result.output
    ET.fromstring(result.stdout)  # the format alone on stdout


@pytest.mark.parametrize("fmt", ["json", "html", "md", "gradescope", "classroom", "junit"])
def test_grade_accepts_every_format(workspace, graded, runner, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(cli, ["grade", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().strip()


# --- `kata report` ------------------------------------------------------------------------------

def test_report_rerenders_the_last_results(workspace, runner, tmp_path):
    workspace.save_results(sample_report())
    for fmt in ("gradescope", "junit", "md", "html"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(cli, ["report", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    score = json.loads((tmp_path / "r.gradescope").read_text())["score"]
    assert score == expected_totals()[0]
    assert "## kata: 6/15" in (tmp_path / "r.md").read_text()
    result = runner.invoke(cli, ["report", "--format", "classroom"])
    assert sum(decode(line.split("=", 1)[1])["max_score"] for line in result.stdout.splitlines()) == expected_totals()[1]


def test_report_open_writes_and_opens_the_html(workspace, runner, monkeypatch):
    workspace.save_results(sample_report())
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    result = runner.invoke(cli, ["report", "--open"])
    assert result.exit_code == 0, result.output
    page = workspace.state_dir / "report.html"
    assert opened == [page.resolve().as_uri()] and "ex-train_cnn" in page.read_text()
    result = runner.invoke(cli, ["report", "--open", "--format", "md"])
    assert result.exit_code == 2 and "--open" in result.output


def test_report_without_results_says_so(workspace, runner):
    result = runner.invoke(cli, ["report"])
    assert result.exit_code == 2 and "run `kata grade` first" in result.output
    assert "Traceback" not in result.output


def test_report_of_corrupt_results_is_one_line(workspace, runner):
    workspace.results_path.write_text("{not json")
    result = runner.invoke(cli, ["report", "--format", "md"])
    assert result.exit_code == 2 and result.output.count("\n") == 1


def test_course_points_are_the_cpu_maximum_even_on_a_gpu_machine(course, monkeypatch):
    """GitHub's and Gradescope's runners have no GPU, so the kits count what a CPU can grade."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # pretend this machine has one
    points = classroom.course_points(course)
    assert [(e.id, e.runner, e.max_score) for e in points] == [("adder", "adder", 5), ("greeter", "greeter", 1)]
    assert torch.cuda.is_available() is True  # put back afterwards


def test_run_autograder_grades_loose_files_as_gradescope_would(course, tmp_path):
    """run_autograder from the zip, run by bash with /autograder moved into a temporary folder:
    a loose-file upload gets a results.json Gradescope reads, and the upload is left untouched."""
    import sys

    from .conftest import SUBMISSIONS, digest
    out, total = classroom.write_gradescope_zip(out=tmp_path / "ag.zip", package="dl-kata", exercises=FAKE_POINTS)
    root = tmp_path / "autograder"
    script = zipfile.ZipFile(out).read("run_autograder").decode().replace("/autograder", str(root))
    submission = root / "submission" / "week 1"
    submission.mkdir(parents=True)
    shutil.copyfile(SUBMISSIONS / "adder" / "failing.py", submission / "adder.py")
    before = digest(root / "submission")
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 4 and sum(t["max_score"] for t in data["tests"]) == total == 6
    assert data["output_format"] == "text"
    assert digest(root / "submission") == before
