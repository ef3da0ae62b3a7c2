"""`kata watch`, driven: save a solution, see the pass and the next exercise, quit by key or event.

The loop runs for real (watchfiles over a fake-course workspace) in a thread, and as `kata watch`
in a child process whose stdin is a pseudo-terminal, so the keys go through the terminal path.
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

from grader import watch as watching

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
    driven.wait("Hint 2/2 for adder:\n  mul(a, b) is a * b.")
    driven.keys.put("l")
    driven.wait("greeter")
    assert ">·  1. adder" in driven.text  # the watched exercise is marked
    driven.keys.put("n")
    driven.wait("Now: Greeting")
    driven.keys.put("q")
    driven.end()


def test_every_exercise_passed_ends_at_once(workspace, course):
    for name in ("adder", "greeter"):
        (workspace.exercises_dir / "01_basics" / f"{name}.py").write_text(solution(name))
    d = Driven(workspace, course)
    d.end()
    assert "Passed! next: greeter" in d.text and "Every exercise passes" in d.text


# --- `kata watch` as the learner runs it: a terminal on stdin -----------------------------------

@pytest.fixture
def kata_watch(workspace):
    """Start `kata watch` with a pseudo-terminal as stdin; yields (process, read_all, type_key)."""
    import pty
    master, slave = pty.openpty()
    env = dict(os.environ, KATA_COURSE=str(FAKE_COURSE), PYTHONUNBUFFERED="1", NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-c", "from grader.cli import cli; cli(['watch'])"],
                            cwd=workspace.root, env=env, stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    os.close(slave)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stdout.read1(4096), b"")),
                              daemon=True)
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


def test_kata_watch_exits_cleanly_on_ctrl_c(kata_watch):
    proc, output, _ = kata_watch
    wait_for(lambda: "Save the file" in output() or proc.poll() is not None, "the first check")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(DEADLINE_S) == 0, output()
    assert "Stopped watching." in output() and "Traceback" not in output()
