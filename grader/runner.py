"""Grade one exercise in isolated child processes. `grade` never raises.

The parent imports numpy, torch and pytest once (`warm_up`) and forks a child per exercise
(POSIX: Linux and macOS). The child runs the hidden checks with pytest and the kata
plugin, and streams one record per event over a pipe; what the submission prints goes elsewhere,
so nothing printed can pass for a result (channel.py says how records travel). The parent
enforces the limits: wall time, memory (RLIMIT_DATA in the child, RSS watched from outside), and
bounded output. When a check hangs or kills the child, that check alone is charged and the
remaining checks run in a fresh child, until the exercise has used up its time budget.
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import channel
from .manifest import ExerciseSpec
from .results import CheckResult, ExerciseResult

# Imported once in the parent so no child pays for them (torch._dynamo pulls in sympy; the
# optimisers and torchvision serve the training and vision exercises). Missing ones are skipped.
WARM_MODULES = ("numpy", "torch", "pytest", "grader.plugin", "torch.optim", "torch._dynamo", "torchvision")
OUTPUT_LIMIT = 8000  # characters of captured output kept per exercise
FILE_OUTPUT_LIMIT = 16 * 2**20  # bytes the child may write to its stdout/stderr file
POLL_S = 0.02
BUDGET_TIMEOUTS = 3  # an exercise may run this many times its timeout in all, retries included


@dataclass(frozen=True)
class Job:
    spec: ExerciseSpec
    check_module: Path
    submission: Path
    display: str  # the learner's file as messages name it
    require_gpu: bool = False
    threads: int = 1  # torch threads per check (the plugin sets them before each check)


def warm_up() -> None:
    """Import the heavy modules once, in the parent, so every forked child starts warm."""
    import gc
    import importlib
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # Move everything imported so far out of the collector's reach: a child's collections then
    # skip the ~200k inherited objects, and their pages stay shared instead of being copied.
    gc.freeze()


def grade(job: Job) -> ExerciseResult:
    started = time.perf_counter()
    try:
        result = _grade(job)
    except Exception as exc:  # noqa: BLE001 - the grader reports, it never crashes
        result = _fault(job, "error", f"kata could not grade this exercise: {type(exc).__name__}: {exc}")
    return _with_duration(result, time.perf_counter() - started)


# --- the parent's loop --------------------------------------------------------------------------

@dataclass
class _State:
    order: list[str] = field(default_factory=list)
    max_points: dict[str, float] = field(default_factory=dict)
    skips: dict[str, str] = field(default_factory=dict)  # check -> why it is skipped here
    checks: dict[str, CheckResult] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (status, message)
    load_error: dict | None = None
    out_of_memory: str | None = None  # the message of a check that ran out of memory


@dataclass
class _ChildRun:
    end: str = "done"  # done | timeout | memory | crash
    detail: str = ""
    loading: bool = False  # the import probe started but did not finish
    current: str | None = None  # a check that started and did not finish


def _grade(job: Job) -> ExerciseResult:
    spec = job.spec
    if not job.check_module.is_file():
        return _fault(job, "error", f"kata has no hidden checks for '{spec.id}' ({job.check_module} is missing).")
    if not job.submission.is_file():
        return _fault(job, "error", f"{job.display} does not exist: run `kata reset {spec.id}` to restore the stub.")
    from .plugin import FORBID_CHECK, missing_requirement
    for need in spec.requires:
        reason = None if need == "cuda" else missing_requirement(need)
        if reason:
            return ExerciseResult(spec.id, spec.title, job.display, skipped_reason=reason, message=reason)

    state = _State()
    remaining: list[str] | None = None
    budget_ends = time.monotonic() + BUDGET_TIMEOUTS * spec.timeout
    budget_spent = False
    while True:
        run = _run_child(job, remaining, state)
        if run.loading:
            _charge_import(job, state, run)
            break
        if run.current is not None:
            status, message = _describe_end(job, run, run.current)
            state.checks[run.current] = CheckResult(run.current, "error", state.max_points.get(run.current, 1.0),
                                                    message)
            state.faults.append((status, message))
        elif run.end != "done":
            status, message = _describe_end(job, run, None)
            state.faults.append((status, message))
        left = [name for name in state.order if name not in state.checks]
        if not left or run.current is None:
            # Ended without starting them: nothing more to learn by retrying.
            _charge(state, left, "Not run: grading stopped before this check.")
            break
        if time.monotonic() > budget_ends and not budget_spent:
            budget_spent = True
            # The forbidden-API check only reads the file and the outcomes so far: it still runs.
            _charge(state, [n for n in left if n != FORBID_CHECK],
                    f"Not run: the checks of this exercise already ran longer than"
                    f" {BUDGET_TIMEOUTS} x {spec.timeout:g} s in all. Fix the hang above first.")
            left = [n for n in left if n == FORBID_CHECK]
            if not left:
                break
        remaining = left
    return _assemble(job, state)


def _charge_import(job: Job, state: _State, run: _ChildRun) -> None:
    """The file hung or crashed while being imported: every check is charged, once."""
    status, message = _describe_end(job, run, None)
    state.faults.append((status, message))
    _charge(state, [name for name in state.order if name not in state.checks], message)


def _charge(state: _State, names: list[str], message: str) -> None:
    """Record checks that never ran: skipped ones stay skipped, the rest are errors."""
    for name in names:
        points = state.max_points.get(name, 1.0)
        if name in state.skips:
            state.checks[name] = CheckResult(name, "skipped", points, state.skips[name])
        else:
            state.checks[name] = CheckResult(name, "error", points, message)


def _describe_end(job: Job, run: _ChildRun, check: str | None) -> tuple[str, str]:
    where = f"check '{check}'" if check else f"importing {job.display}"
    if run.end == "timeout":
        return "timeout", (f"Timed out: {where} ran longer than {job.spec.timeout:g} s and was stopped."
                           " Look for an infinite loop, or for work far slower than it needs to be.")
    if run.end == "memory":
        return "memory", (f"Out of memory: {where} used more than {job.spec.memory} MiB and was stopped."
                          " Look for an array or tensor far larger than the inputs.")
    return "error", f"Crashed: the process ended during {where} ({run.detail})."


def _assemble(job: Job, state: _State) -> ExerciseResult:
    checks = tuple(state.checks[name] for name in state.order if name in state.checks)
    fault, message = None, ""
    if state.load_error is not None:
        fault = "memory" if state.load_error.get("fault") == "memory" else "error"
        message = str(state.load_error.get("message", ""))
    for status in ("memory", "timeout", "error"):  # the most telling fault wins
        found = [m for s, m in state.faults if s == status]
        if found:
            fault, message = status, "\n".join(found)
            break
    if fault is None and state.out_of_memory is not None:
        fault, message = "memory", state.out_of_memory
    return ExerciseResult(job.spec.id, job.spec.title, job.display, checks=checks, message=message,
                          output=_bounded("".join(state.outputs), OUTPUT_LIMIT), fault=fault)


def _run_child(job: Job, only: list[str] | None, state: _State) -> _ChildRun:
    fd, out_path = tempfile.mkstemp(prefix="kata-out-")
    os.close(fd)
    prior = {c.name: "not_implemented" if c.not_implemented else c.outcome for c in state.checks.values()}
    run = _ChildRun()
    with channel.FORK_LOCK:
        read_fd, write_fd = channel.open_pipe()
        try:
            process = _Child.fork(lambda: _child_main(job, only, prior, write_fd, out_path))
        finally:
            channel.close(write_fd, locked=True)  # the child holds the only write end now
    try:
        run = _watch(job, process, channel.Reader(read_fd), state)
    finally:
        _kill(process)
        channel.close(read_fd)
        state.outputs.append(_file_tail(out_path))
        os.unlink(out_path)
    return run


def _watch(job: Job, process: _Child, reader: channel.Reader, state: _State) -> _ChildRun:
    run = _ChildRun()
    deadline = time.monotonic() + job.spec.timeout
    limit_kib = job.spec.memory * 1024
    baseline = None
    finished = False
    while not finished:
        finished = _apply_all(reader.poll(POLL_S), run, state)
        if finished or reader.eof:
            break
        if not process.is_alive():
            finished = _apply_all(reader.drain(), run, state)
            break
        if time.monotonic() > deadline:
            run.end = "timeout"
            return run
        rss = _rss_kib(process.pid)
        if baseline is None:
            baseline = rss
        elif rss is not None and rss - baseline > limit_kib * 1.25:
            run.end = "memory"
            return run
    if finished and run.current is None:
        process.join(5)
        return run
    process.join(1)
    code = process.exitcode
    if run.current is None and not run.loading and code == 0:
        return run
    run.end = "crash"
    run.detail = _exit_detail(code)
    if reader.garbled and code == 0:
        run.detail = ("the grader's record channel was written to by something else:"
                      " did your code write to a file descriptor it did not open?")
    if not run.loading and run.current is None and not state.order:
        run.detail += "; before any check started"
    return run


def _apply_all(records: list[dict], run: _ChildRun, state: _State) -> bool:
    """Fold records in order; True at the child's "done" (nothing after it counts). A record
    with missing or malformed fields is skipped: it cannot come from the plugin."""
    for record in records:
        try:
            if _apply(record, run, state):
                return True
        except (KeyError, TypeError, ValueError):
            continue
    return False


def _apply(record: object, run: _ChildRun, state: _State) -> bool:
    """Fold one record from the child into the state; True once the child says it is done."""
    if not isinstance(record, dict):
        return False
    kind = record.get("type")
    if kind == "collected" and not state.order:
        for check in record.get("checks", []):
            name = str(check["name"])
            state.order.append(name)
            state.max_points[name] = float(check.get("max_points", 1.0))
            if check.get("skip"):
                state.skips[name] = str(check["skip"])
    elif kind == "loading":
        run.loading = True
    elif kind in ("loaded", "load_error"):
        run.loading = False
        state.outputs.append(str(record.get("output", "")))
        if kind == "load_error" and state.load_error is None:
            state.load_error = record
    elif kind == "start":
        run.current = str(record.get("name"))
    elif kind == "check":
        name = str(record.get("name"))
        if name in state.max_points:  # only checks the child announced at collection
            check = CheckResult.from_dict({**record, "name": name, "max_points": state.max_points[name]})
            state.checks[name] = check
            if record.get("memory") and state.out_of_memory is None:
                state.out_of_memory = check.message
            state.outputs.append(str(record.get("output", "")))
        run.current = None
    elif kind == "done":
        return True
    return False


# --- the child ----------------------------------------------------------------------------------

def _child_main(job: Job, only: list[str] | None, prior: dict[str, str], write_fd: int, out_path: str) -> None:
    code = 0
    try:
        _isolate(job, out_path)
        import pytest

        from .plugin import KataSession
        channel.keep_only(write_fd)

        def emit(record: dict) -> None:
            channel.send(write_fd, record)

        session = KataSession(file=job.submission, spec=job.spec, display=job.display, emit=emit,
                              only=set(only) if only is not None else None,
                              require_gpu=job.require_gpu, memory_mib=job.spec.memory, prior=prior,
                              threads=job.threads)
        args = [str(job.check_module), "-p", "grader.plugin", "-s", "--assert=plain", "--import-mode=importlib",
                "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:terminal", "-p", "no:stepwise",
                "--rootdir", str(job.check_module.parent), "-c", os.devnull]
        pytest.main(args, plugins=[session])
        emit({"type": "done"})
    except BaseException:  # noqa: BLE001 - the parent sees the missing records and reports
        code = 1
    finally:
        os._exit(code)


def _isolate(job: Job, out_path: str) -> None:
    """Own process group, no stdin, output to a size-capped file, memory and thread limits."""
    import resource
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(out_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.stdin = open(os.devnull)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the cap, writes fail instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_OUTPUT_LIMIT, FILE_OUTPUT_LIMIT))
    data_kib = _status_kib("VmData") or 0
    limit = data_kib * 1024 + job.spec.memory * 2**20
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ValueError, OSError):
        pass
    sys.dont_write_bytecode = True
    # A parent that ran torch on several threads leaves an OpenMP pool whose threads did not
    # survive the fork: the first parallel op here would wait for them forever. One thread
    # runs inline, from the check module's import on (the plugin resets it before each check).
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(job.threads)


# --- process helpers ----------------------------------------------------------------------------

class _Child:
    """A forked child by pid: the few things the parent asks of it, with no pipes of its own
    (multiprocessing would add a sentinel pipe that the child's clean-up must not touch)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.exitcode = pid, None

    @classmethod
    def fork(cls, main) -> "_Child":
        pid = os.fork()
        if pid == 0:  # the child never returns from main: it ends with os._exit
            try:
                main()
            finally:
                os._exit(1)
        return cls(pid)

    def is_alive(self) -> bool:
        if self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode is None

    def join(self, timeout: float) -> None:
        ends = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < ends:
            time.sleep(0.005)


def _kill(process: _Child) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the child and anything it started
    except (ProcessLookupError, PermissionError):
        pass
    if process.is_alive():
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.join(5)


def _exit_detail(code: int | None) -> str:
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


def _rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return None


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _file_tail(path: str, limit: int = OUTPUT_LIMIT) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return (f"[... {size - limit} bytes of output dropped ...]\n" + data) if size > limit else data


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit // 2] + f"\n[... {len(text) - limit} characters dropped ...]\n" + text[-limit // 2:]


def _fault(job: Job, status: str, message: str) -> ExerciseResult:
    return ExerciseResult(job.spec.id, job.spec.title, job.display, message=message, fault=status)


def _with_duration(result: ExerciseResult, seconds: float) -> ExerciseResult:
    from dataclasses import replace
    return replace(result, duration_s=seconds)
