"""Every verb through click's CliRunner, on the fake course; bad input gives one line and exit 2."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli

from .conftest import FAKE_COURSE, digest, install, SUBMISSIONS


@pytest.fixture
def run(workspace):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)
    return invoke


def solve(space, exercise):
    install(space, exercise, FAKE_COURSE / "solutions" / "01_basics" / f"{exercise}.py")


def test_next_names_the_first_exercise(run):
    result = run("next")
    assert result.exit_code == 0
    assert "Adding and multiplying" in result.output and "exercises/01_basics/adder.py" in result.output
    assert "0/2" in result.output


def test_bare_kata_is_next(run):
    assert "Adding and multiplying" in run().output


def test_grade_scores_zero_then_full(run, workspace):
    result = run("grade")
    assert result.exit_code == 0
    saved = json.loads((workspace.root / ".kata" / "results.json").read_text())
    assert saved["schema"] == "kata-results/1" and saved["score"] == 0
    assert [e["status"] for e in saved["exercises"]] == ["not_started", "not_started"]
    solve(workspace, "adder")
    solve(workspace, "greeter")
    run("grade")
    saved = json.loads((workspace.root / ".kata" / "results.json").read_text())
    assert saved["score"] == saved["max_score"] == 6
    assert "Every exercise passes" in run("next").output


def test_next_moves_on_after_a_pass(run, workspace):
    solve(workspace, "adder")
    result = run("check", "adder")
    assert result.exit_code == 0 and "Passed!" in result.output and "greeter" in result.output
    assert "Greeting" in run("next").output


def test_check_shows_each_checks_feedback(run, workspace):
    install(workspace, "adder", SUBMISSIONS / "adder" / "failing.py")
    result = run("check")
    assert result.exit_code == 1
    assert "add(2, 3) is -1, expected 5" in result.output
    assert "✓ mul" in result.output and "needs GPU" not in result.output.split("✗ add")[0]


def test_check_solutions_does_not_touch_progress(run, workspace):
    result = run("check", "adder", "--solutions")
    assert result.exit_code == 0 and "passed" in result.output
    assert not (workspace.root / ".kata" / "results.json").exists()


def test_list_shows_statuses(run, workspace):
    install(workspace, "adder", SUBMISSIONS / "adder" / "failing.py")
    run("grade", "adder")
    output = run("list").output
    assert "adder" in output and "failed" in output and "4/5" in output
    assert "greeter" in output and "pending" in output


def test_hint_gives_one_more_each_time_then_says_they_are_exhausted(run):
    assert "Hint 1/2 for adder:\n  Use the + operator." in run("hint").output
    last = run("hint", "adder").output
    assert "Hint 2/2 for adder:  (that was the last hint)\n  mul(a, b) is a * b." in last
    again = run("hint", "adder").output
    assert "No more hints for adder: that was the last hint (2/2)" in again
    assert "mul(a, b) is a * b." in again  # the last one, repeated on purpose
    assert "exercises/01_basics/adder.py" in again and "`kata solution adder`" in again
    assert "Hint 1/2 for greeter" in run("hint", "greeter").output


def test_exercises_are_named_by_their_number_in_kata_list(run, workspace):
    assert " 2. greeter" in run("list").output
    assert "Hint 1/2 for greeter" in run("hint", "2").output
    solve(workspace, "adder")
    checked = run("check", "1")
    assert checked.exit_code == 0 and "Adding and multiplying — passed" in checked.output
    assert "return a + b" in run("solution", "1").output
    locked = run("solution", "2")
    assert locked.exit_code == 2 and "the solution of 'greeter' opens once" in locked.output
    reset = run("reset", "1")
    assert reset.exit_code == 0 and "Restored the stub of adder" in reset.output
    assert "NotImplementedError" in (workspace.exercises_dir / "01_basics" / "adder.py").read_text()


@pytest.mark.parametrize("name, phrase", [
    ("addr", "unknown exercise 'addr'; did you mean 'adder'?"),
    ("greet", "unknown exercise 'greet'; did you mean 'greeter'?"),
    ("3", "there is no exercise number 3: the course numbers them 1-2"),
    ("0", "there is no exercise number 0: the course numbers them 1-2"),
])
@pytest.mark.parametrize("verb", ["check", "hint", "solution", "reset"])
def test_an_unknown_name_gets_a_did_you_mean(run, workspace, verb, name, phrase):
    before = digest(workspace.root)
    result = run(verb, name)
    assert result.exit_code == 2 and result.output.startswith(f"kata: {phrase}")
    assert result.output.strip().count("\n") == 0 and "see `kata list`" in result.output
    assert digest(workspace.root) == before


def test_reset_forgets_the_verdict_and_the_hints(run, workspace):
    solve(workspace, "adder")
    run("check", "adder")
    run("hint", "adder")
    run("hint", "adder")
    install(workspace, "greeter", SUBMISSIONS / "adder" / "failing.py")  # graded, kept through the reset
    run("grade", "greeter")
    assert "passed" in run("list").output.splitlines()[0]
    result = run("reset", "adder")
    assert result.exit_code == 0 and "forgot its last check" in result.output
    listing = run("list").output.splitlines()
    assert "adder" in listing[0] and "pending" in listing[0] and "passed" not in listing[0]
    assert "greeter" in listing[1] and "pending" not in listing[1]  # the other verdict stays
    locked = run("solution", "adder")
    assert locked.exit_code == 2 and "opens once your exercise passes" in locked.output
    assert "Hint 1/2 for adder" in run("hint", "adder").output
    assert "Next: Adding and multiplying" in run("next").output
    saved = json.loads((workspace.root / ".kata" / "results.json").read_text())
    assert [e["id"] for e in saved["exercises"]] == ["greeter"] and saved["max_score"] == 1


def test_solution_only_after_a_pass(run, workspace):
    locked = run("solution", "adder")
    assert locked.exit_code == 2 and "opens once your exercise passes" in locked.output
    solve(workspace, "adder")
    run("check", "adder")
    assert "return a + b" in run("solution", "adder").output


def test_reset_backs_up_first(run, workspace):
    install(workspace, "adder", SUBMISSIONS / "adder" / "failing.py")
    result = run("reset", "adder")
    assert result.exit_code == 0
    backups = list((workspace.root / ".kata" / "backups").glob("adder-*.py"))
    assert len(backups) == 1 and "return a - b" in backups[0].read_text()
    assert "NotImplementedError" in (workspace.exercises_dir / "01_basics" / "adder.py").read_text()


def test_init_refuses_a_non_empty_folder(course, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "full")])
    assert result.exit_code == 2 and "not empty" in result.output
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    fresh = CliRunner().invoke(cli, ["init", str(tmp_path / "new")])
    assert fresh.exit_code == 0
    assert (tmp_path / "new" / "exercises" / "manifest.toml").is_file()


def test_grade_json_and_min_score(run, workspace, tmp_path):
    solve(workspace, "adder")
    out = tmp_path / "r.json"
    result = run("grade", "--format", "json", "--out", str(out), "--min-score", "50")
    assert result.exit_code == 0
    data = json.loads(out.read_text())
    assert data["score"] == 5 and data["max_score"] == 6
    assert {"python", "numpy", "torch", "device", "gpu"} <= set(data["environment"])
    check = data["exercises"][0]["checks"][0]
    assert set(check) >= {"name", "outcome", "points", "max_points", "message", "duration_s"}
    failing = run("grade", "--min-score", "90")
    assert failing.exit_code == 1 and "below --min-score" in failing.output


def test_grade_with_workspace_option_from_elsewhere(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["grade", "greeter", "--workspace", str(workspace.root)])
    assert result.exit_code == 0 and "greeter" in result.output


def test_grade_jobs(run, workspace):
    solve(workspace, "adder")
    result = run("grade", "--jobs", "2")
    assert result.exit_code == 0 and "Score 5/6" in result.output


def test_dev_check_proves_the_fake_course(course):
    result = CliRunner().invoke(cli, ["dev", "check"])
    assert result.exit_code == 0, result.output
    assert "add_multiplies.py" in result.output and "course checks hold" in result.output


def test_dev_check_wants_two_hints_per_exercise(course, tmp_path, monkeypatch):
    import shutil
    copy = tmp_path / "course"
    shutil.copytree(FAKE_COURSE, copy)
    manifest = copy / "exercises" / "manifest.toml"
    text = manifest.read_text()
    manifest.write_text(text[:text.index('hints = ["An f-string')] + 'hints = ["An f-string does it."]'
                        + text[text.index("\n", text.index('hints = ["An f-string')):])
    monkeypatch.setenv("KATA_COURSE", str(copy))
    result = CliRunner().invoke(cli, ["dev", "check", "--only", "greeter"])
    assert result.exit_code == 1
    assert "1 hint in the manifest; give every exercise at least 2" in result.output
    assert "✓ greeter" in result.output  # the rest of the course still holds


def test_dev_check_fails_when_a_mutant_survives(course, tmp_path, monkeypatch):
    import shutil
    copy = tmp_path / "course"
    shutil.copytree(FAKE_COURSE, copy)
    (copy / "mutants" / "greeter" / "harmless.py").write_text(
        '"""Not a mistake at all.\n\nexpect: anything\n"""\n\ndef greet(name):\n    return f"Hello, {name}!"\n')
    monkeypatch.setenv("KATA_COURSE", str(copy))
    result = CliRunner().invoke(cli, ["dev", "check", "--only", "greeter"])
    assert result.exit_code == 1 and "not caught" in result.output


# --- bad input: one clear line, exit 2, no traceback, nothing lost ---------------------------

@pytest.mark.parametrize("args", [["check", "nope"], ["hint", "nope"], ["grade", "nope"],
                                  ["solution", "nope"], ["reset", "nope"], ["dev", "check", "--only", "nope"]])
def test_unknown_exercise(run, workspace, args):
    before = digest(workspace.root)
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "unknown exercise 'nope'" in result.output
    assert digest(workspace.root) == before


@pytest.mark.parametrize("args", [["next"], ["list"], ["check"], ["hint"], ["grade"], ["solution", "adder"],
                                  ["reset", "adder"]])
def test_no_workspace(course, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "not inside a kata workspace" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["next"], ["list"], ["check"], ["grade"], ["solution", "adder"]])
def test_corrupt_results(run, workspace, args):
    state = workspace.root / ".kata" / "results.json"
    state.write_text("{ this is not json")
    result = run(*args)
    assert result.exit_code == 2 and "results.json" in result.output
    assert result.output.strip().count("\n") == 0
    assert state.read_text() == "{ this is not json"


def test_corrupt_hints(run, workspace):
    (workspace.root / ".kata" / "hints.json").write_text("[1, 2")
    result = run("hint")
    assert result.exit_code == 2 and "hints.json is corrupt" in result.output


def test_wrong_workspace_folder(course, tmp_path):
    result = CliRunner().invoke(cli, ["list", "--workspace", str(tmp_path)])
    assert result.exit_code == 2 and "is not a kata workspace" in result.output


def test_missing_learner_file_is_an_exercise_error(run, workspace):
    (workspace.exercises_dir / "01_basics" / "adder.py").unlink()
    result = run("grade")
    assert result.exit_code == 0 and "kata reset adder" in result.output


# --- the terminal around the verbs: closed pipes, Ctrl-C -----------------------------------------

def _kata(space, *args, **kwargs):
    """`kata ARGS` as its own process, importing this checkout's grader."""
    import grader
    package_root = str(Path(grader.__file__).resolve().parent.parent)
    env = dict(os.environ, KATA_COURSE=str(FAKE_COURSE),
               PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-c", "from grader.cli import cli; cli()", *args], cwd=space.root,
                            env=env, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.parametrize("args", [["list"], ["next"], ["hint"], ["solution", "adder"]])
def test_a_closed_pipe_ends_quietly_with_status_0(workspace, args):
    """`kata list | head -3`: the reader is gone before kata writes; no error, status 0."""
    solve(workspace, "adder")
    CliRunner().invoke(cli, ["check", "adder"])
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _kata(workspace, *args, stdout=write_end)
    finally:
        os.close(write_end)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err.decode() == ""


def test_ctrl_c_exits_130_with_one_line(run, monkeypatch):
    from grader import api

    def interrupted(**kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(api, "statuses", interrupted)
    result = run("list")
    assert result.exit_code == 130 and result.output.strip() == "kata: interrupted"


def test_ctrl_c_during_a_check_exits_130_and_stops_grading(workspace):
    install(workspace, "adder", SUBMISSIONS / "adder" / "hang_in_mul.py")
    proc = _kata(workspace, "check", "adder", stdout=subprocess.PIPE)
    time.sleep(4)  # torch imported, the hanging check running (its limit is 8 s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert err.decode().strip() == "kata: interrupted"
    assert not (workspace.root / ".kata" / "results.json").exists()  # nothing half-graded saved
