"""`kata watch`: re-check the current exercise on every save; move on when it passes.

The loop is driven by two sources that the caller may replace (the tests do):
- `changes`: an iterable of batches of file changes, as `watchfiles.watch` yields them
  (sets of `(change, path)`; an empty batch is a tick that lets the loop read keys);
- `keys`: a callable returning the keys pressed since the last call ('h', 'l', 'n', 'c', 'q').
By default the changes come from watchfiles over the workspace's exercises/ folder and the keys
from stdin when it is a terminal (cbreak mode, read with select between batches, restored on
exit). Everything runs in one thread: grading forks its children from a single-threaded loop.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator

import click

from . import api
from . import workspace as ws
from .course import Course, default_course
from .manifest import ExerciseSpec
from .render import terminal as term

TICK_MS = 200  # how often the loop wakes without file changes, to read keys and the stop event
KEYS_HELP = "Save the file to check it.  Keys: [h]int  [l]ist  [n]ext exercise  [c]heck now  [q]uit"
NO_KEYS_HELP = "Save the file to check it.  Ctrl-C stops watching."

Batch = Iterable[tuple[object, str]]


class Session:
    """The state of one watch: the exercise being watched, and what each event does."""

    def __init__(self, *, workspace: ws.Workspace, course: Course, echo: Callable[[str], None]):
        self.workspace, self.course, self.echo = workspace, course, echo
        self.current: ExerciseSpec | None = None
        self.keys = True  # whether key presses are read (stdin is a terminal, or a test feeds them)

    # --- moving between exercises -----------------------------------------------------------

    def start(self) -> bool:
        """Show the next pending exercise and check it; False when every exercise has passed."""
        return self._go_to(api.next_exercise(workspace=self.workspace, course=self.course).spec)

    def _go_to(self, spec: ExerciseSpec | None) -> bool:
        """Watch `spec` (None: all done), show it and check it; move on while it passes."""
        while spec is not None:
            self.current = spec
            self._show(spec)
            if not self.check():
                return True
            spec = api.next_exercise(workspace=self.workspace, course=self.course).spec
        self.current = None
        self.echo(click.style("\nEvery exercise passes. Well done!", fg="green", bold=True))
        return False

    def _show(self, spec: ExerciseSpec) -> None:
        progress = api.next_exercise(workspace=self.workspace, course=self.course)
        self.echo(f"\nProgress {term.progress_bar(progress.passed, progress.total)}")
        self.echo(click.style(f"Now: {spec.title}", bold=True)
                  + f"  ({spec.id}, {spec.index + 1}/{progress.total})")
        self.echo(f"File: {self.workspace.display(spec)}")
        summary = api._summary(self.workspace.exercise_file(spec))
        if summary:
            self.echo("\n" + summary)

    # --- events -----------------------------------------------------------------------------

    def check(self) -> bool:
        """Grade the current exercise and show its feedback; True when it passed."""
        spec = self.current
        if spec is None:
            return False
        self.echo(click.style(f"\nChecking {spec.id} ...", dim=True))
        result = api.grade(workspace=self.workspace, ids=[spec.id], course=self.course).exercises[0]
        self.echo(term.exercise_detail(result))
        if result.passed:
            following = api.next_exercise(workspace=self.workspace, course=self.course).spec
            nxt = f"next: {following.id}" if following else "that was the last one!"
            self.echo(click.style(f"\nPassed! {nxt}", fg="green", bold=True))
            return True
        self.echo("\n" + (KEYS_HELP if self.keys else NO_KEYS_HELP))
        return False

    def on_changes(self, batch: Batch) -> bool:
        """Files changed: re-check when one of them is the current exercise's file.
        False once every exercise has passed."""
        if self.current is None:
            return False
        target = self.workspace.exercise_file(self.current).resolve()
        if not any(_same(path, target) for _, path in batch) or not target.is_file():
            return True
        if self.check():
            return self._go_to(api.next_exercise(workspace=self.workspace, course=self.course).spec)
        return True

    def on_key(self, key: str) -> bool:
        """One key press; False to stop watching."""
        key = key.lower()
        if key == "q":
            self.echo("Stopped watching.")
            return False
        if key == "h" and self.current is not None:
            spec, number, text = api.hint(workspace=self.workspace, exercise_id=self.current.id, course=self.course)
            self.echo(f"\nHint {number}/{len(spec.hints)} for {spec.id}:\n  {text}" if text
                      else f"\n{spec.id} has no hints: its file's docstring explains the idea.")
        elif key == "l":
            self.echo("")
            for spec, result in api.statuses(workspace=self.workspace, course=self.course):
                status = result.status if result else "pending"
                score = term.score(result) if result else "-"
                here = ">" if self.current is not None and spec.id == self.current.id else " "
                self.echo(f"{here}{term.mark(status)} {spec.index + 1:2}. {spec.id:28} {score:>9}  "
                          f"{term.status_word(status)}")
        elif key == "n" and self.current is not None:
            following = self._following(self.current)
            if following is None:
                self.echo("\nNo other exercise is pending.")
            else:
                return self._go_to(following)
        elif key == "c":
            return self.on_changes([(None, str(self.workspace.exercise_file(self.current)))]) \
                if self.current is not None else True
        return True

    def _following(self, spec: ExerciseSpec) -> ExerciseSpec | None:
        """The next exercise after `spec` in course order that has not passed (wrapping around)."""
        rows = api.statuses(workspace=self.workspace, course=self.course)
        at = next(i for i, (s, _) in enumerate(rows) if s.id == spec.id)
        for s, result in rows[at + 1:] + rows[:at]:
            if result is None or not result.passed:
                return s
        return None


def run(session: Session, changes: Iterable[Batch], keys: Callable[[], Iterable[str]] = lambda: (),
        stop: threading.Event | None = None) -> None:
    """The core loop: start, then for every batch of changes read the keys and re-check.
    Returns on 'q', when every exercise has passed, when `stop` is set or `changes` ends."""
    batches = iter(changes)
    try:
        first = next(batches)  # a file watcher starts watching here: no save is lost while checking
    except StopIteration:
        return
    if not session.start():
        return
    for batch in itertools.chain([first], batches):
        if stop is not None and stop.is_set():
            return
        for key in keys():
            if not session.on_key(key):
                return
        if batch and not session.on_changes(batch):
            return


def watch(*, workspace: ws.Workspace, course: Course | None = None, stop: threading.Event | None = None,
          echo: Callable[[str], None] = click.echo, keys: Callable[[], Iterable[str]] | None = None) -> None:
    """`kata watch`: watch the workspace's exercises with watchfiles and stdin for keys."""
    if not workspace.writable:
        raise api.KataError("watch works on a learner's workspace, not on the solutions")
    session = Session(workspace=workspace, course=course or default_course(), echo=echo)
    with contextlib.ExitStack() as stack:
        if keys is None:
            keys = stack.enter_context(_terminal_keys())
        session.keys = keys is not _NO_KEYS
        run(session, file_changes(workspace.exercises_dir, stop), keys, stop)


def file_changes(folder: Path, stop: threading.Event | None = None) -> Iterator[Batch]:
    """Batches of changes under `folder`, with an empty batch every TICK_MS of quiet."""
    import watchfiles
    return watchfiles.watch(folder, stop_event=stop, rust_timeout=TICK_MS, yield_on_timeout=True,
                            debounce=400, step=50, raise_interrupt=True)


@contextlib.contextmanager
def _terminal_keys() -> Iterator[Callable[[], list[str]]]:
    """Keys pressed on stdin when it is a terminal (cbreak mode, restored on exit); else none."""
    stream = sys.stdin
    try:
        fd = stream.fileno()
        interactive = stream.isatty()
    except (AttributeError, ValueError, OSError):
        interactive = False
    if not interactive or os.name != "posix":
        yield _NO_KEYS
        return
    import select
    import termios
    import tty
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def pending() -> list[str]:
        found = []
        while select.select([fd], [], [], 0)[0]:
            data = os.read(fd, 64)
            if not data:
                break
            found.extend(data.decode("utf-8", errors="ignore"))
        return [k for k in found if not k.isspace()]

    try:
        yield pending
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _NO_KEYS() -> list[str]:
    return []


def _same(path: str, target: Path) -> bool:
    try:
        return Path(path).resolve() == target
    except (OSError, RuntimeError):
        return False
