"""Grade one exercise in isolated child processes. `grade` never raises.

The judge reports, the parent decides. Each attempt is a judge process running the hidden checks
with pytest and the kata plugin, against a learner's process that only answers calls
(grader/engines.py); the judge streams typed events (grader/events.py), and the parent folds them,
in protocol order, into an ExerciseResult: it computes the points, the statuses and the
forbidden-API verdict itself, and nothing flows back from the parent into the next attempt. The parent enforces the limits: a time limit per check (learned from the reference
solution's own timings) and per exercise, memory for the child's whole process tree, bounded
output. When a check hangs or kills the child, that check alone is charged and the remaining
checks run in a fresh child, until the exercise has used up its time budget.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import events as ev
from . import forbid, mistakes
from .jobs import Job
from .manifest import ExerciseSpec
from .results import FAULTS, CheckResult, ExerciseResult, clean_curves

OUTPUT_LIMIT = 8000  # characters of captured output kept per exercise
POLL_S = 0.02
BUDGET_TIMEOUTS = 3  # an exercise may run this many times its timeout in all, retries included
FORBID_CHECK = "uses_only_allowed_apis"
NOT_STARTED = "Not started: the exercise's functions are not written yet."


class Cancelled(Exception):
    """The caller asked to stop (a newer save in `kata watch`)."""


def grade(job: Job, engine, cancel: threading.Event | None = None) -> ExerciseResult:
    """Grade one exercise with children started by `engine`; raises only Cancelled."""
    started = time.perf_counter()
    try:
        result = _grade(job, engine, cancel)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - the grader reports, it never crashes
        result = _fault(job, "error", f"kata could not grade this exercise: {type(exc).__name__}: {exc}")
    return replace(result, duration_s=time.perf_counter() - started)


# --- the parent's loop --------------------------------------------------------------------------

@dataclass
class Fold:
    """What the parent has learnt of one exercise so far, from events taken in protocol order."""
    order: list[str] = field(default_factory=list)
    max_points: dict[str, float] = field(default_factory=dict)
    skips: dict[str, str] = field(default_factory=dict)  # check -> why it is skipped here
    checks: dict[str, CheckResult] = field(default_factory=dict)
    hits: dict[ev.Hit, None] = field(default_factory=dict)  # forbidden operations reached
    reached: set[str] = field(default_factory=set)  # the checks whose run reached one
    outputs: list[str] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (status, message)
    load_error: ev.LoadError | None = None
    out_of_memory: str | None = None  # the message of a check that ran out of memory


@dataclass
class _Run:
    """One child's stream: where it is in the protocol, and how it ended."""
    stage: str = "collect"  # collect -> load -> loading -> checks -> started -> done
    current: str | None = None  # the check that started and has not reported
    end: str = "done"  # done | timeout | memory | crash | garbled
    detail: str = ""

    @property
    def loading(self) -> bool:
        return self.stage == "loading"


def _grade(job: Job, engine, cancel) -> ExerciseResult:
    spec = job.spec
    if not job.check_module.is_file():
        return _fault(job, "error", f"kata has no hidden checks for '{spec.id}' ({job.check_module} is missing).")
    if not job.submission.exists() and not job.submission.is_symlink():
        return _fault(job, "error", f"{job.display} does not exist: run `kata reset {spec.id}` to restore the stub.")
    try:
        source = read_submission(job.submission, job.root)
    except SubmissionRefused as exc:
        return _fault(job, "error", f"{job.display}: {exc}")
    for need in spec.requires:
        reason = None if need == "cuda" else missing_package(need)
        if reason:
            return ExerciseResult(spec.id, spec.title, job.display, skipped_reason=reason, message=reason)

    fold = Fold()
    violations = forbid.scan(source.decode("utf-8", errors="replace"), spec.forbid)
    with engine.snapshot(job, source) as attempt_job:
        remaining: list[str] | None = None
        budget_ends = time.monotonic() + BUDGET_TIMEOUTS * spec.timeout
        while True:
            run = _run_child(attempt_job, engine, remaining, fold, cancel, budget_ends)
            if run.loading:  # the file hung or crashed while being imported: every check is charged, once
                status, message = _describe_end(job, run, None)
                fold.faults.append((status, message))
                _charge(fold, _left(fold), message)
                break
            if run.current is not None:
                status, message = _describe_end(job, run, run.current)
                fold.checks[run.current] = CheckResult(run.current, "error", fold.max_points.get(run.current, 1.0),
                                                       message)
                fold.faults.append((status, message))
            elif run.end != "done":
                fold.faults.append(_describe_end(job, run, None))
            left = _left(fold)
            if not left or run.current is None:
                # Ended without starting them: nothing more to learn by retrying.
                _charge(fold, left, "Not run: grading stopped before this check.")
                break
            if time.monotonic() > budget_ends:
                _charge(fold, left, f"Not run: the checks of this exercise already ran longer than"
                                    f" {BUDGET_TIMEOUTS} x {spec.timeout:g} s in all. Fix the hang above first.")
                break
            remaining = left
    return _judge(job, fold, violations)


def _left(fold: Fold) -> list[str]:
    return [name for name in fold.order if name not in fold.checks]


def _run_child(job: Job, engine, only: list[str] | None, fold: Fold, cancel, budget_ends: float) -> _Run:
    attempt = engine.start(job, only)
    run = _Run()
    try:
        _watch(job, attempt, run, fold, cancel, budget_ends)
    finally:
        attempt.kill()
        fold.outputs.append(attempt.output())
    return run


def _watch(job: Job, attempt, run: _Run, fold: Fold, cancel, budget_ends: float) -> None:
    limits = dict(job.limits)
    exercise_deadline = min(time.monotonic() + job.spec.timeout, budget_ends + job.spec.timeout)
    check_deadline, check_limit = None, float("inf")
    limit_kib = job.spec.memory * 1024
    baseline = None
    next_memory_look = 0.0
    while run.stage != "done":
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        for event in attempt.poll(POLL_S):
            _apply(event, run, fold)
            if run.stage == "done":
                break
            if run.stage == "started":
                check_limit = _limit(limits, run.current, fold)
                check_deadline = time.monotonic() + check_limit if check_limit < float("inf") else None
        if run.stage == "done":
            break
        if attempt.ended():
            for event in attempt.drain():
                _apply(event, run, fold)
            break
        now = time.monotonic()
        if now > exercise_deadline or (check_deadline is not None and run.current and now > check_deadline):
            run.end = "timeout"
            by_check = check_deadline is not None and now <= exercise_deadline
            run.detail = f"{check_limit:.3g}" if by_check else ""
            return
        if now >= next_memory_look:
            next_memory_look = now + 0.1
            used = attempt.memory_kib()
            if baseline is None:
                baseline = used
            elif used is not None and used - baseline > limit_kib * 1.25:
                run.end = "memory"
                return
    if run.stage == "done" and run.current is None:
        attempt.wait(5)
        code = attempt.exit_code()
        if code != 0:  # a real child exits 0 right after "done": this stream ends in a crash
            run.end, run.detail = "crash", _exit_detail(code)
        return
    attempt.wait(1)
    code = attempt.exit_code()
    if run.current is None and not run.loading and code == 0 and run.stage == "checks":
        return  # it ended between checks without "done": the remaining ones are charged
    run.end = "crash"
    run.detail = _exit_detail(code)
    if attempt.garbled and code == 0:
        run.end = "garbled"
        run.detail = ("the grader's record channel was written to by something else:"
                      " did your code write to a file descriptor it did not open?")
    if not run.loading and run.current is None and not fold.order:
        run.detail += "; before any check started"


def _apply(event: ev.Event, run: _Run, fold: Fold) -> None:
    """Fold one event, if it comes in protocol order; anything else is ignored."""
    if isinstance(event, ev.Collected) and run.stage == "collect":
        if not fold.order:
            for check in event.checks:
                fold.order.append(check.name)
                fold.max_points[check.name] = check.max_points
                if check.skip:
                    fold.skips[check.name] = check.skip
        run.stage = "load"
    elif isinstance(event, ev.Loading) and run.stage == "load":
        run.stage = "loading"
    elif isinstance(event, (ev.Loaded, ev.LoadError)) and run.stage == "loading":
        fold.outputs.append(event.output)
        if isinstance(event, ev.LoadError):
            fold.load_error = fold.load_error or event
        run.stage = "checks"
    elif isinstance(event, ev.Start) and run.stage == "checks":
        if event.name in fold.max_points and event.name not in fold.checks:
            run.current, run.stage = event.name, "started"
    elif isinstance(event, ev.Outcome) and run.stage == "started" and event.name == run.current:
        fold.checks[event.name] = CheckResult(
            event.name, event.outcome, fold.max_points[event.name], event.message, event.duration_s,
            event.not_implemented, event.line, clean_curves(list(event.curves)), event.trace)
        if event.memory and fold.out_of_memory is None:
            fold.out_of_memory = event.message
        fold.hits.update(dict.fromkeys(event.hits))
        if event.hits:
            fold.reached.add(event.name)
        fold.outputs.append(event.output)
        run.current, run.stage = None, "checks"
    elif isinstance(event, ev.Done) and run.stage == "checks":
        run.stage = "done"


def _charge(fold: Fold, names: list[str], message: str) -> None:
    """Record checks that never ran: skipped ones stay skipped, the rest are errors."""
    for name in names:
        points = fold.max_points.get(name, 1.0)
        if name in fold.skips:
            fold.checks[name] = CheckResult(name, "skipped", points, fold.skips[name])
        else:
            fold.checks[name] = CheckResult(name, "error", points, message)


def _describe_end(job: Job, run: _Run, check: str | None) -> tuple[str, str]:
    where = (f"check '{check}'" if check else f"importing {job.display}" if run.stage in ("collect", "load", "loading")
             else f"the checks of {job.display}, outside any check")
    if run.end == "timeout":
        limit = (f"its limit, {run.detail} s (learned from the reference solution's own time)"
                 if run.detail else f"{job.spec.timeout:g} s")
        return "timeout", (f"Timed out: {where} ran longer than {limit} and was stopped."
                           " Look for an infinite loop, or for work far slower than it needs to be.")
    if run.end == "memory":
        return "memory", (f"Out of memory: {where} used more than {job.spec.memory} MiB (counting every"
                          " process it started) and was stopped. Look for an array or tensor far larger"
                          " than the inputs.")
    return "error", f"Crashed: the process ended during {where} ({run.detail})."


# --- the parent's verdict -----------------------------------------------------------------------

def _judge(job: Job, fold: Fold, violations: list) -> ExerciseResult:
    """Points, status and the forbidden-API verdict, from the facts the children reported."""
    checks = [fold.checks[name] for name in fold.order if name in fold.checks]
    message, fault = "", None
    if fold.load_error is not None:
        # One message for the exercise; each check says where to look instead of repeating it.
        fault = "memory" if fold.load_error.memory else "error"
        message = fold.load_error.message
        short = f"Not run: {job.display} does not import (the error is shown once, above)."
        checks = [replace(c, message=short, line=None) if c.message == message else c for c in checks]
    for status in FAULTS:  # the most telling fault wins
        found = list(dict.fromkeys(m for s, m in fold.faults if s == status))
        if found:
            fault, message = status, "\n".join(found)
            break
    if fault is None and fold.out_of_memory is not None:
        fault, message = "memory", fold.out_of_memory
    if job.spec.forbid:
        checks = _forbid_verdict(job, checks, violations, list(fold.hits), fold.reached)
    if fault is not None:
        checks = _no_full_credit(checks, message)
    library = mistakes.load(job.check_module)
    if library is not None:
        checks = library.named(checks)
    hidden = hidden_lines(job.check_module)
    checks = [replace(c, message=redact(c.message, hidden)) for c in checks]
    return ExerciseResult(job.spec.id, job.spec.title, job.display, checks=tuple(checks),
                          message=redact(message, hidden),
                          output=redact(_bounded(_dedupe(fold.outputs), OUTPUT_LIMIT), hidden), fault=fault)


# --- no check source in a report -----------------------------------------------------------------

HIDDEN_LINE_MIN = 24  # characters: shorter lines (`return out`) say nothing of a check
HIDDEN = "[a line of the hidden checks, not shown]"


def hidden_lines(check_module: Path) -> frozenset[str]:
    """Every long line of the course's check modules, stripped. Where the learner's code could
    read them (`sandbox: none`, or a check module that still runs in the learner's process), a
    line of theirs that it printed or raised is replaced in the report."""
    checks_dir = Path(check_module).parent.parent
    return _hidden_lines(str(checks_dir))


@functools.lru_cache(maxsize=8)
def _hidden_lines(checks_dir: str) -> frozenset[str]:
    lines: set[str] = set()
    for module in sorted(Path(checks_dir).glob("*/test_*.py")):
        try:
            text = module.read_text(errors="replace")
        except OSError:
            continue
        lines.update(line.strip() for line in text.splitlines() if len(line.strip()) >= HIDDEN_LINE_MIN)
    return frozenset(lines)


def redact(text: str, hidden: frozenset[str]) -> str:
    if not text or not hidden:
        return text
    out = [HIDDEN if line.strip() in hidden else line for line in text.split("\n")]
    return "\n".join(out)


def _forbid_verdict(job: Job, checks: list[CheckResult], violations: list, hits: list[ev.Hit],
                    reached: set[str] = frozenset()) -> list[CheckResult]:
    """Withhold points while the file uses a forbidden API, and add the scored check that says so.
    Found by reading the file, it costs every check; reached at run time, only the checks whose
    run reached it (the module is loaded afresh for each check, so work done at import counts in
    every one): the others computed their answers themselves."""
    found = [f"{v.name} (line {v.line})" for v in violations]
    found += [f"{h.name} (line {h.line})" if h.line else h.name for h in hits]
    counted = [c for c in checks if c.counts]
    if found:
        patterns = sorted({v.pattern for v in violations}) or list(job.spec.forbid)
        when = " (reached while your code ran)" if hits and not violations else ""
        text = (f"this exercise must be written without {', '.join(patterns)}, but {job.display} uses"
                f" {', '.join(list(dict.fromkeys(found))[:5])}{when}. Write it from basic operations instead.")
        line = violations[0].line if violations else (hits[0].line if hits else None)
        withheld = (lambda c: True) if violations else (lambda c: c.name in reached)
        checks = [replace(c, outcome="failed", message=f"Not credited: {text}")
                  if c.outcome == "passed" and withheld(c) else c for c in checks]
        return checks + [CheckResult(FORBID_CHECK, "failed", 1.0, text[0].upper() + text[1:], line=line)]
    if counted and all(c.not_implemented for c in counted):
        return checks + [CheckResult(FORBID_CHECK, "failed", 1.0, NOT_STARTED, not_implemented=True)]
    if not any(c.outcome == "passed" for c in counted):
        return checks + [CheckResult(FORBID_CHECK, "failed", 1.0,
                                     "Not credited yet: this check counts once another check of the exercise passes.")]
    return checks + [CheckResult(FORBID_CHECK, "passed", 1.0)]


def _no_full_credit(checks: list[CheckResult], message: str) -> list[CheckResult]:
    """A stream that ended in a fault never yields full credit: the status and the score agree."""
    counted = [c for c in checks if c.counts]
    if not counted or any(c.outcome != "passed" for c in counted):
        return checks
    last = counted[-1]
    return [replace(c, outcome="error", message=message) if c is last else c for c in checks]


def _dedupe(outputs: list[str]) -> str:
    """The output, each identical chunk once (a print at import time runs again in every check)."""
    seen, kept = set(), []
    for chunk in outputs:
        if chunk and chunk not in seen:
            seen.add(chunk)
            kept.append(chunk)
    return "".join(kept)


# --- time limits learned from the reference solution --------------------------------------------

LIMIT_FACTOR = 10  # a check may take this many times the reference solution's time ...
LIMIT_FLOOR_S = 3.0  # ... and at least this long
AFTER_HANG_FLOOR_S = 1.5  # once a check of the exercise hung, the next ones get half, at least this


def _limit(limits: dict[str, float], name: str | None, fold: "Fold") -> float:
    """The running check's time limit; inf when the course has no timing for it (the exercise's
    timeout then applies). On a busy machine every check is slower, so the limit grows with the
    load (up to 4x). After a hang, the same loop is likely to hang again in the next checks, so
    their limits are halved: the report comes in seconds."""
    if name not in limits:
        return float("inf")
    limit = limits[name] * busy_factor()
    if any(status == "timeout" for status, _ in fold.faults):
        limit = max(AFTER_HANG_FLOOR_S, limit / 2)
    return limit


def learned_limits(spec: ExerciseSpec, timings: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """Per-check limits from the reference solution's timings (seconds), never over the exercise's."""
    return tuple((name, min(spec.timeout, max(LIMIT_FLOOR_S, LIMIT_FACTOR * seconds)))
                 for name, seconds in timings.items())


def busy_factor() -> float:
    """How much slower than when idle this machine runs now: load per core, between 1 and 4."""
    try:
        load = os.getloadavg()[0]
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    except (OSError, AttributeError):
        return 1.0
    return min(4.0, max(1.0, load / cores))


# --- the learner's file -------------------------------------------------------------------------

class SubmissionRefused(Exception):
    """The file is not one kata grades (a link, outside the workspace, unreadable)."""


def read_submission(path: Path, root: Path | None) -> bytes:
    """The file's bytes, read once: every check grades this one version. Links are refused, so
    an exercise file cannot stand for a reference solution or a classmate's file."""
    path = Path(path)
    if path.is_symlink():
        raise SubmissionRefused("is a symbolic link; kata grades only regular files in your workspace."
                                " Replace it with your own file (`kata reset` restores the stub).")
    if not path.exists():
        raise SubmissionRefused("does not exist: run `kata reset` with its id to restore the stub.")
    if root is not None:
        try:
            path.resolve().relative_to(Path(root).resolve())
        except ValueError:
            raise SubmissionRefused("lies outside the workspace (a folder of it is a link); kata grades"
                                    " only files inside your workspace.") from None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise SubmissionRefused(f"cannot be read ({exc.strerror}).") from None
    with os.fdopen(fd, "rb") as f:
        if not os.path.isfile(f"/proc/self/fd/{fd}") and not Path(path).is_file():
            raise SubmissionRefused("is not a regular file.")
        return f.read()


# --- small pieces -------------------------------------------------------------------------------

def missing_package(name: str) -> str | None:
    """Why an exercise that needs package `name` cannot run here, or None (nothing imported)."""
    import importlib.util
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"needs {name}"


def _exit_detail(code: int | None) -> str:
    import signal
    if code is None:
        return "it did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = {"SIGSEGV": "a segmentation fault", "SIGKILL": "killed", "SIGABRT": "aborted",
                "SIGBUS": "a bus error", "SIGFPE": "a floating-point exception"}.get(name, "")
        return f"{name}{', ' + hint if hint else ''}"
    return f"exit status {code}: did your code call os._exit or exit the process?"


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit // 2] + f"\n[... {len(text) - limit} characters dropped ...]\n" + text[-limit // 2:]


def _fault(job: Job, status: str, message: str) -> ExerciseResult:
    return ExerciseResult(job.spec.id, job.spec.title, job.display, message=message, fault=status)
