"""Every verb through click's CliRunner, on the fake course; bad input gives one line and exit 2."""
from __future__ import annotations

import json

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


def test_hint_gives_one_more_each_time(run):
    assert "Hint 1/2" in run("hint").output
    assert "Hint 2/2" in run("hint", "adder").output
    assert "Hint 2/2" in run("hint", "adder").output  # stays on the last one
    assert "Hint 1/1" in run("hint", "greeter").output


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
