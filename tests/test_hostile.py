"""Hostile submissions against the sandbox and the parent that judges (issue 11).

Each submission under tests/submissions/adder/ is written to harm: signal or stop the process that
started it, outlive its grade in a daemon, forge records into its own or a neighbour's channel,
escape the memory limit through grandchildren, leave files behind, run the reference solution or
a classmate's file. Graded in the bubblewrap sandbox next to a correct neighbour (greeter), each
gets the outcome a sound grader gives: an exact status, score and phrase; the neighbour keeps its
marks; nothing outside the sandbox changes. Where bubblewrap cannot run, these tests skip and say
why; CI installs it (.ci/run), so there they run.

The last section grades a few of them with `--sandbox none` and asserts what the unsandboxed
grader still guarantees. What it cannot rule out there (README, security): a submission can signal
or stop kata itself (it is the child's parent), a double-forked daemon outlives the grade and can
rewrite the workspace's files, escapes the memory accounting, and leaves files in /tmp; as root
(not dumpable does not stop root) it can open kata's pipes; and it can read the solutions.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import api, batch
from grader import sandbox as sandboxing

from .conftest import FAKE_COURSE, SUBMISSIONS, digest, install

REPO = Path(__file__).resolve().parent.parent
HOSTILE = SUBMISSIONS / "adder"
DAEMON_WAIT_S = 4  # how long the tests give a daemon to strike after kata has returned

# adder: add 1 pt, mul 2 pt, scale 1 pt, the forbidden-API check 1 pt (the GPU check is skipped);
# its memory limit is 512 MiB and its time limit 8 s (tests/fixtures/course/exercises/manifest.toml).
SANDBOXED = {
    # name: (status, score, phrase in the exercise's or its checks' messages)
    # The worker is the sandbox's init: the kernel drops these signals, mul carries on and is right.
    "kill_parent_term": ("passed", 5, ""),
    "stop_parent": ("passed", 5, ""),
    # SIGINT has a handler in the worker, which dies: mul is charged, scale runs in a fresh sandbox.
    "interrupt_parent": ("error", 3, "Crashed: the process ended during check 'mul'"),
    # Its forged records reach nobody (the learner's process holds no channel of kata's); it
    # aborts in mul, which alone is charged.
    "forged_done_then_crash": ("error", 3, "Crashed: the process ended during check 'mul' (SIGABRT"),
    # A daemon sprays forged records into every pipe it can open: none of kata's, so mul stays wrong.
    "daemon_forges_neighbour": ("failed", 3, "added instead of multiplied"),
    # 3 x 320 MiB in a child and two setsid daemons, against 512 MiB for the whole tree.
    "memory_grandchildren": ("memory", 3, "used more than 512 MiB (counting every process it started)"),
    "leaves_tmp_files": ("passed", 5, ""),
    # Named pipes in place of its own output file and the next ones': kata reads through its own
    # descriptors, never by name, so nobody waits on them.
    "plants_fifos": ("passed", 5, ""),
    # Neither the course's solutions folder nor its path outside is in the sandbox.
    "imports_solution": ("failed", 0, "no reference solution within reach"),
}


@pytest.fixture
def bwrap():
    reason = sandboxing.unavailable()
    if reason is not None:
        pytest.skip(f"bubblewrap cannot sandbox here: {reason}")


@pytest.fixture
def neighbour(course, workspace):
    install(workspace, "greeter", course.solutions_dir / "01_basics" / "greeter.py")
    return workspace


def hostile(name: str, **paths) -> str:
    """The submission's source, with the absolute paths an attacker would know filled in
    (`NAME = []` lines)."""
    source = (HOSTILE / f"{name}.py").read_text()
    for key, values in paths.items():
        source, count = re.subn(rf"^{key} = \[\].*$", f"{key} = {[str(v) for v in values]!r}", source,
                                flags=re.M)
        assert count == 1, key
    return source


def put(space, name: str, **paths) -> Path:
    target = space.exercises_dir / "01_basics" / "adder.py"
    target.write_text(hostile(name, **paths))
    return target


def grade(space, name: str, sandbox: str, **paths):
    put(space, name, **paths)
    before = digest(space.exercises_dir)
    report = api.grade(workspace=space, sandbox=sandbox, jobs=1)
    assert digest(space.exercises_dir) == before, "grading changed the learner's files"
    assert report.environment["sandbox"] == ("bubblewrap" if sandbox == "required" else "none")
    return report


def check_case(report, space, status: str, score: float, phrase: str) -> None:
    adder, greeter = report.get("adder"), report.get("greeter")
    details = (adder.message, [(c.name, c.outcome, c.points, c.message[:200]) for c in adder.checks])
    assert greeter.status == "passed" and greeter.score == greeter.max_score == 1, greeter.message
    assert adder.status == status, details
    assert adder.score == score and adder.max_score == 5, details
    assert phrase in adder.message + "\n".join(c.message for c in adder.checks), details
    saved = {e["id"]: e for e in space.load_results().to_dict()["exercises"]}
    assert (saved["adder"]["status"], saved["adder"]["score"]) == (status, score)
    # the status and the score agree: full marks only with status passed, and the other way round
    assert (adder.score == adder.max_score) == (adder.status == "passed")


# --- in the sandbox -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SANDBOXED))
def test_sandboxed_submission_costs_only_what_it_breaks(bwrap, course, neighbour, name):
    solutions = [course.solutions_dir / "01_basics" / "adder.py"] if name == "imports_solution" else None
    report = grade(neighbour, name, "required", **({"SOLUTIONS": solutions} if solutions else {}))
    check_case(report, neighbour, *SANDBOXED[name])


def test_a_dead_worker_is_replaced_for_the_remaining_checks(bwrap, neighbour):
    adder = grade(neighbour, "interrupt_parent", "required").get("adder")
    outcomes = {c.name: c.outcome for c in adder.checks}
    assert outcomes == {"add": "passed", "mul": "error", "scale": "passed", "on_gpu": "skipped",
                        "uses_only_allowed_apis": "passed"}


def test_stopping_the_parent_neither_hangs_nor_costs_time(bwrap, neighbour):
    report = grade(neighbour, "stop_parent", "required")
    assert report.get("adder").duration_s < 8  # the exercise's time limit: nothing waited for it


def test_memory_of_grandchildren_and_daemons_is_counted(bwrap, neighbour):
    adder = grade(neighbour, "memory_grandchildren", "required").get("adder")
    assert adder.status == "memory" and adder.duration_s < 8  # caught by memory, not by the clock


def test_nothing_is_left_in_tmp(bwrap, neighbour, tmp_path, monkeypatch):
    """The submission writes 300 MiB to its /tmp: the sandbox's private /tmp is its own tmpfs, full
    at 256 MiB, never on the host, and gone with the sandbox."""
    import tempfile
    name = "kata-hostile-leftover-*.bin"
    host_tmp = tmp_path / "host-tmp"
    host_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(host_tmp))
    report = grade(neighbour, "leaves_tmp_files", "required")
    assert report.get("adder").status == "passed"
    assert "left 250 MiB in /tmp" in report.get("adder").output  # it wrote until the tmpfs was full
    assert list(host_tmp.iterdir()) == []
    assert not list(Path("/tmp").glob(name))


def test_a_daemon_cannot_rewrite_results_after_kata_returns(bwrap, course, neighbour):
    """`kata grade --out`: the JSON kata saved and the --out file stay as kata wrote them, and
    `kata solution` stays locked, after the daemon had time to strike."""
    space = neighbour
    results, out = space.root / ".kata" / "results.json", space.root / "gradescope.json"
    put(space, "daemon_rewrites_results", TARGETS=[results, out])
    env = dict(os.environ, PYTHONPATH=str(REPO), KATA_COURSE=str(FAKE_COURSE))
    kata = [sys.executable, "-c", "import sys; from grader.cli import cli; sys.exit(cli())"]
    done = subprocess.run([*kata, "grade", "--sandbox", "required", "--jobs", "1", "--format", "gradescope",
                           "--out", str(out)], cwd=space.root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    written = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (results, out)}
    time.sleep(DAEMON_WAIT_S)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (results, out)} == written
    saved = {e["id"]: e for e in json.loads(results.read_text())["exercises"]}
    assert (saved["adder"]["status"], saved["adder"]["score"]) == ("failed", 3)
    locked = subprocess.run([*kata, "solution", "adder"], cwd=space.root, env=env, capture_output=True,
                            text=True, timeout=60)
    assert locked.returncode != 0 and "opens once your exercise passes" in locked.stderr


# --- links to a solution: refused before any code runs, in every mode -----------------------------

@pytest.mark.parametrize("sandbox", ["required", "none"])
def test_an_exercise_file_linked_to_the_solution_is_refused(course, neighbour, sandbox, request):
    if sandbox == "required":
        request.getfixturevalue("bwrap")
    target = neighbour.exercises_dir / "01_basics" / "adder.py"
    target.unlink()
    target.symlink_to(course.solutions_dir / "01_basics" / "adder.py")
    report = api.grade(workspace=neighbour, sandbox=sandbox)
    adder = report.get("adder")
    assert (adder.status, adder.score) == ("error", 0)
    assert "adder.py: is a symbolic link; kata grades only regular files in your workspace" in adder.message
    assert report.get("greeter").score == 1
    with pytest.raises(api.KataError, match="opens once your exercise passes"):
        api.solution(workspace=neighbour, exercise_id="adder")


def test_an_exercise_folder_linked_to_the_solutions_is_refused(course, workspace):
    folder = workspace.exercises_dir / "01_basics"
    shutil.rmtree(folder)
    folder.symlink_to(course.solutions_dir / "01_basics", target_is_directory=True)
    report = api.grade(workspace=workspace, sandbox="none")
    for result in report.exercises:
        assert (result.status, result.score) == ("error", 0)
        assert "lies outside the workspace" in result.message
    with pytest.raises(api.KataError, match="opens once your exercise passes"):
        api.solution(workspace=workspace, exercise_id="adder")


# --- kata batch: an attacker and two classmates ---------------------------------------------------

def test_an_attacker_in_a_batch_leaves_its_classmates_untouched(bwrap, course, tmp_path):
    """alice is graded before mallory, zoe after; trudy's exercises/ is a link to alice's. The
    attacker edits the classmates' files, zeroes their reports, rewrites the gradebook from a
    daemon and runs a classmate's file as its own: none of it reaches anything."""
    root, grades = tmp_path / "class", tmp_path / "grades"
    for name in ("alice", "mallory", "trudy", "zoe"):
        api.init(dest=root / name, course=course)
    for name in ("alice", "zoe"):
        for exercise in ("adder", "greeter"):
            shutil.copyfile(course.solutions_dir / "01_basics" / f"{exercise}.py",
                            root / name / "exercises" / "01_basics" / f"{exercise}.py")
    shutil.rmtree(root / "trudy" / "exercises")
    (root / "trudy" / "exercises").symlink_to(root / "alice" / "exercises", target_is_directory=True)
    out = grades / "gradebook.csv"
    classmates = [root / n / "exercises" / "01_basics" / "adder.py" for n in ("alice", "zoe")]
    (root / "mallory" / "exercises" / "01_basics" / "adder.py").write_text(hostile(
        "batch_attacker", CLASSMATES=classmates, REPORTS=[grades / "reports" / f"{n}.json" for n in ("alice", "zoe")],
        GRADEBOOK=[out]))
    before = {n: digest(root / n) for n in ("alice", "zoe")}

    rows = {row.name: row for row in batch.grade_batch(root=root, out=out, course=course, sandbox="required")}
    written = {p: p.read_bytes() for p in [out, *(grades / "reports").iterdir()]}
    time.sleep(DAEMON_WAIT_S)

    for name in ("alice", "zoe"):
        assert digest(root / name) == before[name], f"{name}'s files changed"
        report = rows[name].report
        assert report.environment["sandbox"] == "bubblewrap"
        assert [(e.id, e.status, e.score) for e in report.exercises] == [("adder", "passed", 5), ("greeter", "passed", 1)]
        assert (grades / "reports" / f"{name}.json").read_text() == report.to_json() + "\n"
    mallory = rows["mallory"].report.get("adder")
    assert (mallory.status, mallory.score) == ("failed", 0), mallory.message
    assert "no classmate's file within reach" in "\n".join(c.message for c in mallory.checks)
    for result in rows["trudy"].report.exercises:
        assert (result.status, result.score) == ("error", 0) and "lies outside the workspace" in result.message
    assert {p: p.read_bytes() for p in written} == written, "a file kata wrote changed after the batch"
    assert out.read_text() == batch.gradebook_csv(sorted(rows.values(), key=lambda r: r.name),
                                                  [s.id for s in course.manifest])


# --- without the sandbox: what still holds ------------------------------------------------------

def test_unsandboxed_forged_records_never_give_full_marks(neighbour):
    report = grade(neighbour, "forged_done_then_crash", "none")
    check_case(report, neighbour, "error", 3, "Crashed: the process ended during check 'mul' (SIGABRT")


def test_unsandboxed_grading_does_not_wait_on_a_planted_pipe(neighbour):
    report = grade(neighbour, "plants_fifos", "none")
    check_case(report, neighbour, "passed", 5, "")


def test_unsandboxed_grading_cannot_hide_the_solutions(course, neighbour):
    """What `--sandbox none` cannot rule out: the course's solutions are files this user can read.
    The grade is then the solution's; kata still finishes and the neighbour keeps its marks."""
    report = grade(neighbour, "imports_solution", "none", SOLUTIONS=[course.solutions_dir / "01_basics" / "adder.py"])
    assert report.get("greeter").score == 1
    assert report.get("adder").score == 5  # the known limit; the sandbox case above gets 0


# --- the installed course's own solutions ----------------------------------------------------------

def test_the_shipped_solutions_are_out_of_reach_in_the_sandbox(bwrap, tmp_path, monkeypatch):
    """The real course, as installed here: the submission looks for the reference solution next to
    the grader package, inside it, through default_course() and at its absolute path."""
    from grader.courses import default as default_course
    monkeypatch.delenv("KATA_COURSE", raising=False)
    course = default_course()
    space = api.init(dest=tmp_path / "ws", course=course)
    spec, other = course.manifest.get("linear_regression_numpy"), course.manifest.get("feed_forward")
    shutil.copyfile(course.solutions_dir / other.relpath, space.exercise_file(other))
    source = (SUBMISSIONS / spec.id / "imports_solution.py").read_text()
    space.exercise_file(spec).write_text(source.replace(
        "SOLUTIONS = []", f"SOLUTIONS = [{str(course.solutions_dir / spec.relpath)!r}]"))
    report = api.grade(workspace=space, ids=[spec.id, other.id], sandbox="required", jobs=1)
    graded = report.get(spec.id)
    assert report.get(other.id).status == "passed"
    assert (graded.status, graded.score) == ("failed", 0), graded.message
    assert "no reference solution within reach" in "\n".join(c.message for c in graded.checks)
    with pytest.raises(api.KataError, match="opens once your exercise passes"):
        api.solution(workspace=space, exercise_id=spec.id)
