"""`kata watch`, driven: save a solution, see the pass and the next exercise, quit by key or event.

The loop runs three ways: with fed events (saves and keys from queues, a stand-in for api.grade
that hangs on demand) to pin down cancelling and versions; for real (watchfiles over a
fake-course workspace) in a thread; and as `kata watch` in a child process whose stdin is a
pseudo-terminal, so the keys go through the terminal path.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import click
import pytest

from grader import api
from grader import watch as watching
from grader.results import CheckResult, ExerciseResult, GradeReport

from .conftest import FAKE_COURSE, SUBMISSIONS

DEADLINE_S = 90  # generous: the first check imports torch, on a machine that may be busy


def solution(name):
    return (FAKE_COURSE / "solutions" / "01_basics" / f"{name}.py").read_text()


def wait_for(predicate, what, seconds=DEADLINE_S):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# --- fed events: saves and keys from queues, a grade that hangs until cancelled -----------------

class FakeGrade:
    """api.grade's stand-in. The verdict names the file's text (PASS passes); a file saying HANG
    hangs (as a 27 s infinite loop would) until cancelled, one saying SLOW takes half a second."""

    def __init__(self):
        self.started: list[str] = []
        self.cancelled: list[str] = []

    def __call__(self, *, workspace, ids, course, cancel):
        spec = course.manifest.get(ids[0])
        text = workspace.exercise_file(spec).read_text().strip()
        self.started.append(text)
        if "HANG" in text and cancel.wait(27) or "SLOW" in text and cancel.wait(0.5):
            self.cancelled.append(text)
            raise api.GradeCancelled()
        passed = "PASS" in text
        check = CheckResult("verdict", "passed" if passed else "failed", 1.0, "" if passed else f"graded: {text}")
        report = GradeReport((ExerciseResult(spec.id, spec.title, workspace.display(spec), checks=(check,)),))
        workspace.save_results(report.merged_into(workspace.load_results()))  # as api.grade does
        return report


class Fed:
    """watch.run in a thread: a tick every 10 ms, saves and keys fed by the test, the screen
    clears recorded as a CLEAR line."""

    CLEAR = "<clear>"

    def __init__(self, space, course):
        self.space, self.grade = space, FakeGrade()
        self.lines: list[str] = []
        self.saves: queue.Queue[str] = queue.Queue()
        self.keys: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        session = watching.Session(workspace=space, course=course, grade=self.grade,
                                   echo=lambda text="": self.lines.append(click.unstyle(str(text))),
                                   clear=lambda: self.lines.append(self.CLEAR))

        def changes():
            while True:
                try:
                    yield {(2, self.saves.get(timeout=0.01))}
                except queue.Empty:
                    yield set()

        def pending():
            found = []
            while not self.keys.empty():
                found.append(self.keys.get_nowait())
            return found

        def main():
            try:
                watching.run(session, changes(), pending, self.stop)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.error = exc

        self.session = session
        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def write(self, name, text, *, save=True):
        path = self.space.exercises_dir / "01_basics" / f"{name}.py"
        path.write_text(text + "\n")
        if save:
            self.saves.put(str(path))

    def wait(self, phrase, count=1, seconds=10):
        wait_for(lambda: self.text.count(phrase) >= count or not self.thread.is_alive(), repr(phrase), seconds)
        assert self.text.count(phrase) >= count, f"{phrase!r} never shown:\n{self.text}"

    def end(self):
        self.thread.join(10)
        assert not self.thread.is_alive(), "watch did not stop"
        assert self.error is None, repr(self.error)


@pytest.fixture
def fed(workspace, course):
    f = Fed(workspace, course)
    yield f
    f.stop.set()
    f.thread.join(10)


def test_fed_a_save_during_a_hanging_check_cancels_it_and_grades_the_new_file(fed):
    fed.wait("graded: ")  # the stub's verdict
    fed.write("adder", "HANG v1")
    wait_for(lambda: "HANG v1" in fed.grade.started, "the hanging check to start", 10)
    time.sleep(0.3)
    saved = time.monotonic()
    fed.write("adder", "v2")
    fed.wait("graded: v2")
    assert time.monotonic() - saved < 1.0  # not the 27 s the hang would have taken
    assert fed.grade.cancelled == ["HANG v1"] and "graded: HANG" not in fed.text
    assert "Saved again: stopping the check of the older version." in fed.text
    fed.keys.put("q")
    fed.end()


def test_fed_every_verdict_is_of_the_newest_version(fed):
    fed.wait("graded: ")
    fed.write("adder", "SLOW v1")
    wait_for(lambda: "SLOW v1" in fed.grade.started, "the slow check to start", 10)
    fed.write("adder", "v2", save=False)  # changed while checking; the watcher has not said so yet
    fed.wait("graded: v2")
    assert "graded: SLOW v1" not in fed.text  # its verdict was of a version already gone
    assert fed.grade.started[-2:] == ["SLOW v1", "v2"]
    fed.write("adder", "v2")  # the watcher's late event: the same version, checked again
    fed.wait("graded: v2", count=2)
    fed.keys.put("q")
    fed.end()


def test_fed_saving_the_same_version_does_not_restart_its_check(fed):
    fed.wait("graded: ")
    fed.write("adder", "SLOW v1")
    wait_for(lambda: "SLOW v1" in fed.grade.started, "the slow check to start", 10)
    fed.write("adder", "SLOW v1")  # an editor that saves twice
    fed.wait("graded: SLOW v1")
    assert fed.grade.started.count("SLOW v1") == 1 and fed.grade.cancelled == []
    fed.keys.put("q")
    fed.end()


def test_fed_each_verdict_clears_the_screen_and_says_where_we_are(fed):
    fed.wait("graded: ")
    fed.write("adder", "v1")
    fed.wait("graded: v1")
    screens = fed.text.split(Fed.CLEAR)
    assert len(screens) == 3  # before the first verdict, then one screen per verdict
    last = screens[-1]
    assert "Now: Adding and multiplying" in last and "File: exercises/01_basics/adder.py" in last
    assert "graded: v1" in last and "Save the file" in last and last.count("graded: ") == 1
    fed.write("adder", "PASS")
    fed.wait("Now: Greeting")
    fed.wait("graded: ", count=3)  # greeter's stub checked
    screen = fed.text.split(Fed.CLEAR)[-1]
    assert screen.lstrip().startswith("✓ Adding and multiplying: passed, 1/1")  # the last pass stays in view
    assert "Now: Greeting" in screen
    fed.keys.put("q")
    fed.end()


def test_fed_keys_work_while_a_check_runs(fed):
    fed.wait("graded: ")
    fed.write("adder", "HANG")
    wait_for(lambda: "HANG" in fed.grade.started, "the hanging check to start", 10)
    fed.keys.put("h")
    fed.wait("Hint 1/2 for adder:\n  Use the + operator.")
    fed.keys.put("l")
    fed.wait(">✗  1. adder")
    assert fed.session.grading is not None and fed.session.grading.running  # still checking
    fed.keys.put("c")  # check again now: the running check is replaced
    wait_for(lambda: fed.grade.started.count("HANG") == 2, "the check to restart", 5)
    assert fed.grade.cancelled == ["HANG"]
    fed.keys.put("n")  # on to the next exercise: cancelled again, greeter checked
    fed.wait("Now: Greeting")
    fed.wait("graded: ", count=2)
    assert fed.grade.cancelled == ["HANG", "HANG"]
    fed.write("adder", "HANG again", save=False)
    fed.keys.put("n")
    fed.wait("Now: Adding and multiplying", count=2)
    wait_for(lambda: "HANG again" in fed.grade.started, "the hanging check to start", 10)
    quit_at = time.monotonic()
    fed.keys.put("q")
    fed.end()
    assert time.monotonic() - quit_at < 2 and fed.grade.cancelled[-1] == "HANG again"
    assert fed.text.rstrip().endswith("Stopped watching.")


def test_fed_stop_event_cancels_the_running_check(fed):
    fed.wait("graded: ")
    fed.write("adder", "HANG")
    wait_for(lambda: "HANG" in fed.grade.started, "the hanging check to start", 10)
    fed.stop.set()
    fed.end()
    assert fed.grade.cancelled == ["HANG"]


@pytest.mark.parametrize("tty", [True, False])
def test_clear_screen_only_on_a_terminal_and_keeps_the_scroll_back(tty):
    import io

    class Stream(io.StringIO):
        def isatty(self):
            return tty
    stream = Stream()
    watching.clear_screen(stream)
    assert stream.getvalue() == ("\x1b[H\x1b[2J" if tty else "")
    assert "\x1b[3J" not in watching.CLEAR_SCREEN  # that one would erase the scroll-back


# --- for real: watchfiles and api.grade ------------------------------------------------------------

class Driven:
    """watch() in a thread: output collected, keys fed from a queue, a stop event."""

    def __init__(self, space, course):
        self.lines: list[str] = []
        self.keys: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()
        self.error: BaseException | None = None

        def pending():
            found = []
            while not self.keys.empty():
                found.append(self.keys.get_nowait())
            return found

        def main():
            try:
                watching.watch(workspace=space, course=course, stop=self.stop, keys=pending,
                               echo=lambda text="": self.lines.append(click.unstyle(str(text))))
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.error = exc

        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait(self, phrase, count=1):
        wait_for(lambda: self.text.count(phrase) >= count or not self.thread.is_alive(), repr(phrase))
        assert self.text.count(phrase) >= count, f"{phrase!r} never shown:\n{self.text}"

    def end(self):
        self.thread.join(DEADLINE_S)
        assert not self.thread.is_alive(), "watch did not stop"
        assert self.error is None, repr(self.error)


@pytest.fixture
def driven(workspace, course):
    d = Driven(workspace, course)
    yield d
    d.stop.set()
    d.thread.join(DEADLINE_S)


def test_a_save_that_passes_moves_on_to_the_next_exercise(driven, workspace):
    driven.wait("Save the file")  # the first check of the stub is done
    assert "Now: Adding and multiplying" in driven.text and "not implemented yet" in driven.text
    (workspace.exercises_dir / "01_basics" / "adder.py").write_text(solution("adder"))
    driven.wait("Now: Greeting")
    text = driven.text
    assert "Passed! next: greeter" in text
    assert "Adding and multiplying — passed, 5/5" in text
    assert "File: exercises/01_basics/greeter.py" in text
    driven.wait("Save the file", count=2)  # the new exercise was checked too
    driven.keys.put("q")
    driven.end()
    assert driven.text.rstrip().endswith("Stopped watching.")


def test_a_failing_save_shows_the_feedback_and_stays(driven, workspace):
    driven.wait("Save the file")
    (workspace.exercises_dir / "01_basics" / "adder.py").write_text((SUBMISSIONS / "adder" / "failing.py").read_text())
    driven.wait("add(2, 3) is -1, expected 5")
    driven.wait("Save the file", count=2)
    assert "Passed!" not in driven.text and "Now: Greeting" not in driven.text
    driven.stop.set()
    driven.end()


def test_saving_another_file_does_not_check(driven, workspace):
    driven.wait("Save the file")
    (workspace.exercises_dir / "01_basics" / "greeter.py").write_text(solution("greeter"))
    (workspace.exercises_dir / "01_basics" / "notes.txt").write_text("scratch")
    time.sleep(1.5)  # longer than watchfiles' debounce
    assert driven.text.count("Checking") == 1
    driven.stop.set()
    driven.end()


def test_keys_hint_list_next_then_quit(driven):
    driven.wait("Save the file")
    driven.keys.put("h")
    driven.wait("Hint 1/2 for adder:\n  Use the + operator.")
    driven.keys.put("h")
    driven.wait("Hint 2/2 for adder:  (that was the last hint)\n  mul(a, b) is a * b.")
    driven.keys.put("l")
    driven.wait("greeter")
    assert ">·  1. adder" in driven.text  # the watched exercise is marked
    driven.keys.put("n")
    driven.wait("Now: Greeting")
    driven.keys.put("q")
    driven.end()


def test_a_save_during_a_hanging_check_gets_the_new_verdict_at_once(driven, workspace):
    """The real thing: a check stuck in an infinite loop is killed by the save, not waited for; the
    new verdict comes about as fast as after a save while nothing runs."""
    driven.wait("Save the file")  # the stub's verdict
    adder = workspace.exercises_dir / "01_basics" / "adder.py"
    saved = time.monotonic()
    adder.write_text((SUBMISSIONS / "adder" / "failing.py").read_text())
    driven.wait("add(2, 3) is -1, expected 5")
    idle = time.monotonic() - saved  # the watcher's debounce and one grade
    adder.write_text((SUBMISSIONS / "adder" / "hang_in_mul.py").read_text())
    driven.wait("Checking adder", count=3)
    time.sleep(2.0)  # the check of mul is looping (a sandbox is up by now; mul's limit is >= 5 s)
    saved = time.monotonic()
    adder.write_text(solution("adder"))
    driven.wait("Passed! next: greeter")
    took = time.monotonic() - saved
    assert took < idle + 1.0, f"the new verdict took {took:.1f} s, against {idle:.1f} s after an idle save"
    since_hang = driven.text.split("Checking adder")[-1]
    assert "Timed out" not in driven.text and "mul (0/2)" not in since_hang  # the old version's verdict never shows
    assert "Saved again: stopping the check of the older version." in driven.text
    driven.keys.put("q")
    driven.end()


def test_every_exercise_passed_ends_at_once(workspace, course):
    for name in ("adder", "greeter"):
        (workspace.exercises_dir / "01_basics" / f"{name}.py").write_text(solution(name))
    d = Driven(workspace, course)
    d.end()
    assert "Passed! next: greeter" in d.text and "Every exercise passes" in d.text


# --- `kata watch` as the learner runs it: a terminal on stdin -----------------------------------

@pytest.fixture(params=["pipe"])
def kata_watch(workspace, request):
    """Start `kata watch` with a pseudo-terminal as stdin, and as stdout too when the param is
    "terminal" (else a pipe); yields (process, read_all, type_key)."""
    import pty
    master, slave = pty.openpty()
    env = dict(os.environ, KATA_COURSE=str(FAKE_COURSE), PYTHONUNBUFFERED="1", NO_COLOR="1")
    terminal = request.param == "terminal"
    proc = subprocess.Popen([sys.executable, "-c", "from grader.cli import cli; cli(['watch'])"],
                            cwd=workspace.root, env=env, stdin=slave,
                            stdout=slave if terminal else subprocess.PIPE, stderr=subprocess.STDOUT)
    os.close(slave)
    chunks: list[bytes] = []

    def read_terminal():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the process ended and closed the terminal
                return
            if not data:
                return
            chunks.append(data)
    reader = threading.Thread(target=read_terminal if terminal else
                              lambda: chunks.extend(iter(lambda: proc.stdout.read1(4096), b"")), daemon=True)
    reader.start()

    def output():
        return b"".join(chunks).decode("utf-8", errors="replace")

    try:
        yield proc, output, lambda key: os.write(master, key.encode())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        os.close(master)


def test_kata_watch_in_a_terminal_quits_on_q(kata_watch, workspace):
    proc, output, type_key = kata_watch
    wait_for(lambda: "Save the file" in output() or proc.poll() is not None, "the first check")
    (workspace.exercises_dir / "01_basics" / "adder.py").write_text(solution("adder"))
    wait_for(lambda: "Now: Greeting" in output() or proc.poll() is not None, "the next exercise")
    wait_for(lambda: output().count("Save the file") >= 2 or proc.poll() is not None, "its check")
    type_key("q")
    assert proc.wait(DEADLINE_S) == 0, output()
    assert "Passed! next: greeter" in output() and "Stopped watching." in output()
    assert "Traceback" not in output()


def test_kata_watch_stops_cleanly_on_ctrl_c_with_status_130(kata_watch):
    proc, output, _ = kata_watch
    wait_for(lambda: "Save the file" in output() or proc.poll() is not None, "the first check")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(DEADLINE_S) == 130, output()  # interrupted, as every verb
    assert "Stopped watching." in output() and "Traceback" not in output()


@pytest.mark.parametrize("kata_watch", ["terminal"], indirect=True)
def test_kata_watch_on_a_terminal_clears_the_screen_for_each_verdict(kata_watch, workspace):
    proc, output, type_key = kata_watch
    wait_for(lambda: "Save the file" in output() or proc.poll() is not None, "the first check")
    (workspace.exercises_dir / "01_basics" / "adder.py").write_text(
        (SUBMISSIONS / "adder" / "failing.py").read_text())
    wait_for(lambda: output().count("Save the file") >= 2 or proc.poll() is not None, "the second check")
    type_key("q")
    assert proc.wait(DEADLINE_S) == 0, output()
    text = output()
    assert text.count("\x1b[H\x1b[2J") == 2  # once per verdict
    assert "\x1b[3J" not in text  # the scroll-back is kept
    assert text.rindex("\x1b[H\x1b[2J") < text.index("add(2, 3) is -1, expected 5")


def test_kata_watch_into_a_pipe_never_clears(kata_watch, workspace):
    proc, output, type_key = kata_watch
    wait_for(lambda: "Save the file" in output() or proc.poll() is not None, "the first check")
    type_key("q")
    assert proc.wait(DEADLINE_S) == 0, output()
    assert "\x1b[" not in output()
