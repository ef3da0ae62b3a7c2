"""`kata watch`: re-check the current exercise on every save; move on when it passes.

The loop is driven by two sources that the caller may replace (the tests do):
- `changes`: an iterable of batches of file changes, as `watchfiles.watch` yields them
  (sets of `(change, path)`; an empty batch is a tick that lets the loop read keys and see
  whether a check has finished);
- `keys`: a callable returning the keys pressed since the last call ('h', 'l', 'n', 'c', 'q').
By default the changes come from watchfiles over the workspace's exercises/ folder and the keys
from stdin when it is a terminal (cbreak mode, read with select between batches, restored on
exit).

Grading runs in a thread of its own (`Grading`), so the loop keeps reading saves and keys while a
check runs: a save, `c` or `n` cancels the running check (api.grade's `cancel` event kills its
children at once) and starts the new one. A verdict is shown only if the file still holds the
version that was graded; otherwise that version is checked again, so every verdict on the screen
is of one version of the file, the newest. Each verdict clears the screen (when stdout is a
terminal; the scroll-back keeps the older ones).
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

from . import api, channel
from . import workspace as ws
from .course import Course
from .manifest import ExerciseSpec
from .render import terminal as term
from .results import ExerciseResult

TICK_MS = 100  # how often the loop wakes without file changes: keys, finished checks, the stop event
CANCEL_WAIT_S = 5.0  # how long a cancelled check may take to end before the next one starts anyway
KEYS_HELP = "Save the file to check it.  Keys: [h]int  [l]ist  [n]ext exercise  [c]heck now  [q]uit"
NO_KEYS_HELP = "Save the file to check it.  Ctrl-C stops watching."
# Home, then erase the screen. Not "\x1b[3J": that would erase the scroll-back, the older verdicts.
CLEAR_SCREEN = "\x1b[H\x1b[2J"

Batch = Iterable[tuple[object, str]]
GradeFn = Callable[..., "api.GradeReport"]  # api.grade's keyword interface, `cancel` included


class Grading:
    """One check of one exercise, in a thread: the file's content when it started, a cancel event,
    and, once `done` is set, the result (or the error it raised)."""

    def __init__(self, spec: ExerciseSpec, content: bytes | None, grade: Callable[[threading.Event], ExerciseResult]):
        self.spec, self.content = spec, content
        self.cancel, self.done = threading.Event(), threading.Event()
        self.result: ExerciseResult | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, args=(grade,), name=f"kata-watch-{spec.id}", daemon=True)
        self.thread.start()

    def _main(self, grade: Callable[[threading.Event], ExerciseResult]) -> None:
        try:
            self.result = grade(self.cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the loop (a cancelled one is dropped)
            self.error = exc
        finally:
            self.done.set()

    @property
    def running(self) -> bool:
        return not self.done.is_set()

    def stop(self) -> None:
        """Cancel and wait (briefly) for the children to be gone; the result is dropped."""
        self.cancel.set()
        self.thread.join(CANCEL_WAIT_S)


class Session:
    """The state of one watch: the exercise being watched, its running check, what each event does."""

    def __init__(self, *, workspace: ws.Workspace, course: Course, echo: Callable[[str], None],
                 grade: GradeFn | None = None, clear: Callable[[], None] = lambda: None):
        self.workspace, self.course, self.clear = workspace, course, clear
        self.grade = grade or api.grade
        self.current: ExerciseSpec | None = None
        self.grading: Grading | None = None
        self.keys = True  # whether key presses are read (stdin is a terminal, or a test feeds them)
        self.passed_line = ""  # "✓ <previous exercise> passed", kept at the top of the next screen

        def say(text: str = "") -> None:
            with channel.FORK_LOCK:  # never fork a grading child while this thread holds stdout's lock
                echo(text)
        self.echo = say

    # --- moving between exercises -----------------------------------------------------------

    def start(self) -> bool:
        """Watch the next pending exercise and start its check; False when every exercise has passed."""
        return self._go_to(self._next_pending())

    def _go_to(self, spec: ExerciseSpec | None) -> bool:
        """Watch `spec` (None: all done): show it and start checking it."""
        self._cancel()
        self.current = spec
        if spec is None:
            self.echo(click.style("\nEvery exercise passes. Well done!", fg="green", bold=True))
            return False
        self._header(spec)
        summary = api._summary(self.workspace.exercise_file(spec))
        if summary:
            self.echo("\n" + summary)
        self._check()
        return True

    def _next_pending(self) -> ExerciseSpec | None:
        return api.next_exercise(workspace=self.workspace, course=self.course).spec

    def _header(self, spec: ExerciseSpec) -> None:
        progress = api.next_exercise(workspace=self.workspace, course=self.course)
        self.echo(f"Progress {term.progress_bar(progress.passed, progress.total)}")
        self.echo(click.style(f"Now: {spec.title}", bold=True)
                  + f"  ({spec.id}, {spec.index + 1}/{progress.total})")
        self.echo(f"File: {self.workspace.display(spec)}")

    # --- checking ---------------------------------------------------------------------------

    def _check(self) -> None:
        """Start checking the current exercise's file as it is now, cancelling a running check."""
        self._cancel()
        spec = self.current
        if spec is None:
            return
        content = _read(self.workspace.exercise_file(spec))
        self.echo(click.style(f"\nChecking {spec.id} ...", dim=True))

        def grade(cancel: threading.Event) -> ExerciseResult:
            return self.grade(workspace=self.workspace, ids=[spec.id], course=self.course, cancel=cancel).exercises[0]
        self.grading = Grading(spec, content, grade)

    def _cancel(self) -> None:
        if self.grading is not None:
            if self.grading.running:
                self.grading.stop()
            self.grading = None

    def close(self) -> None:
        """Stop a running check (on quit, Ctrl-C, or the end of the changes)."""
        self._cancel()

    def poll(self) -> bool:
        """Show the verdict of a check that has finished. False when every exercise has passed."""
        done = self.grading
        if done is None or done.running:
            return True
        self.grading = None
        if done.error is not None:
            raise done.error
        if _read(self.workspace.exercise_file(done.spec)) != done.content:
            self._check()  # saved while it ran: that verdict may be of the old version, or of both
            return True
        return self._verdict(done.result)

    def _verdict(self, result: ExerciseResult) -> bool:
        """A fresh screen: where we are, the verdict, what to do next; moves on when it passed."""
        self.clear()
        spec = self.current
        if self.passed_line:
            self.echo(self.passed_line)
            self.passed_line = ""
        self._header(spec)
        self.echo("")
        self.echo(term.exercise_detail(result))
        if not result.passed:
            self.echo("\n" + (KEYS_HELP if self.keys else NO_KEYS_HELP))
            return True
        following = self._next_pending()
        nxt = f"next: {following.id}" if following else "that was the last one!"
        self.echo(click.style(f"\nPassed! {nxt}", fg="green", bold=True))
        self.passed_line = click.style(f"{term.mark('passed')} {spec.title}: passed, {term.score(result)}", fg="green")
        if following is not None:
            self.echo("")
        return self._go_to(following)

    # --- events -----------------------------------------------------------------------------

    def on_changes(self, batch: Batch) -> bool:
        """Files changed: check again when one of them is the current exercise's file."""
        if self.current is None:
            return False
        target = self.workspace.exercise_file(self.current).resolve()
        if not any(_same(path, target) for _, path in batch) or not target.is_file():
            return True
        running = self.grading if self.grading is not None and self.grading.running else None
        if running is not None:
            if _read(target) == running.content:
                return True  # saved again unchanged: the running check is already of this version
            self.echo(click.style("Saved again: stopping the check of the older version.", dim=True))
        self._check()
        return True

    def on_key(self, key: str) -> bool:
        """One key press; False to stop watching."""
        key = key.lower()
        if key == "q":
            self.close()
            self.echo("Stopped watching.")
            return False
        if key == "h" and self.current is not None:
            shown = api.hint(workspace=self.workspace, exercise_id=self.current.id, course=self.course)
            self.echo("\n" + term.hint_text(shown, self.workspace.display(shown.spec)))
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
                self.passed_line = ""
                self.echo("")
                return self._go_to(following)
        elif key == "c" and self.current is not None:
            self._check()
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
    """The core loop: start, then for every batch of changes (or tick) read the keys, react to
    saves and show finished checks. Returns on 'q', when every exercise has passed, when `stop`
    is set or `changes` ends; a running check is cancelled on the way out."""
    batches = iter(changes)
    try:
        first = next(batches)  # a file watcher starts watching here: no save is lost while checking
    except StopIteration:
        return
    try:
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
            if not session.poll():
                return
    finally:
        session.close()


def watch(*, workspace: ws.Workspace, course: Course | None = None, stop: threading.Event | None = None,
          echo: Callable[[str], None] = click.echo, keys: Callable[[], Iterable[str]] | None = None,
          grade: GradeFn | None = None) -> None:
    """`kata watch`: watch the workspace's exercises with watchfiles and stdin for keys."""
    if not workspace.writable:
        raise api.KataError("watch works on a learner's workspace, not on the solutions")
    session = Session(workspace=workspace, course=course or api.course_of(workspace), echo=echo, grade=grade,
                      clear=lambda: clear_screen(sys.stdout))
    with contextlib.ExitStack() as stack:
        if keys is None:
            keys = stack.enter_context(_terminal_keys())
        session.keys = keys is not _NO_KEYS
        run(session, file_changes(workspace.exercises_dir, stop), keys, stop)


def clear_screen(stream) -> None:
    """Clear a terminal for the next verdict, keeping its scroll-back; nothing when not a terminal
    (a pipe or a log file gets the verdicts one after the other)."""
    try:
        if not stream.isatty():
            return
        stream.write(CLEAR_SCREEN)
        stream.flush()
    except (AttributeError, ValueError, OSError):
        pass


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


def _read(path: Path) -> bytes | None:
    """The file's bytes (None when it cannot be read): what a verdict is of."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _same(path: str, target: Path) -> bool:
    try:
        return Path(path).resolve() == target
    except (OSError, RuntimeError):
        return False
