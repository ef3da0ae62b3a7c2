"""How an exercise's two processes are started: the judge here, the learner's process by an engine.

Every attempt at an exercise is a judge (grader/judge.py: pytest, the plugin and the hidden
checks), forked from this warm grading process, and a learner's process (grader/learner.py: the
learner's file, answering calls), connected by a socket. The engine decides where the learner's
process runs:

- ForkEngine (`sandbox: none`): forked from this process too. It is in its own process group,
  closes every descriptor it inherited, and cannot open the grader's pipes through /proc (the
  grader is not dumpable), but it shares this machine's file system and user with the grader.
- SandboxEngine (`sandbox: bubblewrap`, grader/sandbox.py): forked by a warm worker inside one
  bubblewrap sandbox per submission, which sees only a private copy of the learner's file, the
  kata package without checks, solutions, mutants or alternatives, and a private /tmp.

The runner sees one interface, `Attempt`; an engine provides `LearnerProcess`es.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, ContextManager, Protocol

from . import channel

# Imported once before forking so no child pays for them (torch._dynamo pulls in sympy; the
# optimisers and torchvision serve the training and vision exercises). Missing ones are skipped.
TORCH_MODULES = ("torch", "torch.optim", "torch._dynamo", "torchvision")
BASE_MODULES = ("numpy", "pytest", "grader.plugin", "grader.learner")
LEARNER_MODULES = ("numpy", "grader.learner")  # a sandbox's worker: nothing of the judge's


def warm_modules(with_torch: bool, modules: tuple[str, ...] = BASE_MODULES) -> tuple[str, ...]:
    # torch first: the check helpers bind it at import when it is there
    return (*TORCH_MODULES, *modules) if with_torch else modules


def warm_up(modules: tuple[str, ...]) -> None:
    """Import the heavy modules once, so every forked child starts warm."""
    import gc
    import importlib
    if "torch" in modules:
        os.environ.pop("KATA_WITHOUT_TORCH", None)
    elif "torch" not in sys.modules:
        os.environ["KATA_WITHOUT_TORCH"] = "1"  # read by the plugin and the check helpers
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    if "torch" in modules:  # a long-lived process that first graded without torch
        for name, attribute in (("grader.checks.plain", "_torch"), ("grader.checks.helpers", "_torch"),
                                ("grader.plugin", "torch")):
            module = sys.modules.get(name)
            if module is not None and getattr(module, attribute, None) is None:
                importlib.reload(module)
    # Move everything imported so far out of the collector's reach: a child's collections then
    # skip the ~200k inherited objects, and their pages stay shared instead of being copied.
    gc.freeze()


def not_dumpable() -> None:
    """Others running as this user cannot open this process's pipes through /proc/<pid>/fd, nor
    attach a debugger; the children forked from it inherit that."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):  # not Linux: nothing to do
        pass


def environment(sandbox: str) -> dict:
    """The machine the checks ran on, for the report (torch only if it is already imported)."""
    import platform
    info = {"python": platform.python_version(), "numpy": None, "torch": None, "device": "cpu",
            "gpu": None, "sandbox": sandbox}
    numpy = sys.modules.get("numpy")
    info["numpy"] = getattr(numpy, "__version__", None)
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        try:
            if torch.cuda.is_available():
                info["device"], info["gpu"] = "cuda", torch.cuda.get_device_name(0)
        except Exception:  # noqa: BLE001 - a broken driver is reported as cpu
            pass
    return info


# --- the interfaces -----------------------------------------------------------------------------

class LearnerProcess(Protocol):
    """The learner's side of one attempt, wherever it runs."""

    def exit_code(self) -> int | None: ...  # None while it runs

    def memory_kib(self) -> int | None: ...  # what it and its descendants hold

    def kill(self) -> None: ...  # it and every process it started

    def output(self) -> str: ...  # the tail of what it wrote to stdout/stderr


class Attempt(Protocol):
    """One run of (some of) an exercise's checks, as the runner watches it."""
    garbled: bool

    def poll(self, timeout: float) -> list: ...

    def drain(self) -> list: ...

    def ended(self) -> bool: ...

    def wait(self, timeout: float) -> None: ...

    def exit_code(self) -> int | None: ...

    def memory_kib(self) -> int | None: ...

    def kill(self) -> None: ...

    def output(self) -> str: ...


class Engine(Protocol):
    name: str

    def environment(self) -> dict: ...

    def snapshot(self, job, source: bytes) -> ContextManager: ...

    def start(self, job, only: list[str] | None) -> Attempt: ...

    def close(self) -> None: ...


# --- one attempt: a judge forked here, a learner's process from the engine ------------------------

class JudgedAttempt:
    """The judge runs the checks and streams events; `start_learner(socket)` starts the other end."""

    def __init__(self, job, only: list[str] | None, start_learner: Callable[[socket.socket], LearnerProcess]) -> None:
        from . import judge
        with channel.FORK_LOCK:
            ours, theirs = socket.socketpair()
            read_fd, write_fd = channel.open_pipe()
            try:
                self.learner = start_learner(theirs)
                theirs.close()
                self.pid = os.fork()
                if self.pid == 0:  # never returns: ends with os._exit
                    try:
                        judge.main(job, only, write_fd, ours.detach())
                    finally:
                        os._exit(1)
            finally:
                channel.close(write_fd, locked=True)
                ours.close()
        self.reader = channel.Reader(read_fd)
        self.code: int | None = None

    @property
    def garbled(self) -> bool:
        return self.reader.garbled

    def poll(self, timeout: float) -> list:
        return self.reader.poll(timeout)

    def drain(self) -> list:
        return self.reader.drain()

    def ended(self) -> bool:
        return self.reader.eof or not self._alive()

    def _alive(self) -> bool:
        if self.code is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code is None

    def wait(self, timeout: float) -> None:
        ends = time.monotonic() + timeout
        while self._alive() and time.monotonic() < ends:
            time.sleep(0.005)

    def exit_code(self) -> int | None:
        """The judge's exit status; when the learner's process ended under it, that one's."""
        from .judge import EXIT_LEARNER_GONE
        self._alive()
        if self.code != EXIT_LEARNER_GONE:
            return self.code
        ends = time.monotonic() + 2
        learner = self.learner.exit_code()
        while learner is None and time.monotonic() < ends:
            time.sleep(0.01)
            learner = self.learner.exit_code()
        return learner if learner is not None else EXIT_LEARNER_GONE

    def memory_kib(self) -> int | None:
        return self.learner.memory_kib()

    def kill(self) -> None:
        self.learner.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)
        self.wait(5)
        channel.close(self.reader.fd)

    def output(self) -> str:
        return self.learner.output()


# --- forked from this process --------------------------------------------------------------------

class ForkEngine:
    name = "none"

    def __init__(self, with_torch: bool = True) -> None:
        warm_up(warm_modules(with_torch))
        not_dumpable()

    def environment(self) -> dict:
        """Asked in a child: CUDA initialised here would break every child forked after it."""
        import json
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.write(write_fd, json.dumps(environment(self.name)).encode())
            finally:
                os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as f:
            data = f.read()
        os.waitpid(pid, 0)
        try:
            return json.loads(data)
        except ValueError:
            return {"sandbox": self.name, "device": "unknown"}

    @contextlib.contextmanager
    def snapshot(self, job, source: bytes):
        folder = tempfile.mkdtemp(prefix="kata-sub-")
        try:
            path = Path(folder) / Path(job.submission).name
            path.write_bytes(source)
            yield replace(job, submission=path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def start(self, job, only: list[str] | None) -> JudgedAttempt:
        return JudgedAttempt(job, only, lambda sock: ForkedLearner(job.learner(), sock))

    def close(self) -> None:
        pass


class ForkedLearner:
    """The learner's process forked from this one (called with channel.FORK_LOCK held)."""

    def __init__(self, learner_job, sock: socket.socket) -> None:
        from . import learner
        # Read back through this descriptor, never by name: the learner's code may replace the
        # file by a named pipe, whose opening would wait forever.
        self.out_fd, self.out_path = tempfile.mkstemp(prefix="kata-out-")
        self.pid = os.fork()
        if self.pid == 0:
            try:
                learner.main(sock.fileno(), learner_job, self.out_path)
            finally:
                os._exit(1)
        self.code: int | None = None

    def exit_code(self) -> int | None:
        if self.code is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return -signal.SIGKILL
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code

    def memory_kib(self) -> int | None:
        return tree_private_kib(self.pid)

    def kill(self) -> None:
        for pid in [*descendants(self.pid), self.pid]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # the process and anything it started
        ends = time.monotonic() + 5
        while self.exit_code() is None and time.monotonic() < ends:
            time.sleep(0.005)

    def output(self) -> str:
        if self.out_fd is None:
            return ""
        text = fd_tail(self.out_fd)
        os.close(self.out_fd)
        self.out_fd = None
        with contextlib.suppress(OSError):
            os.unlink(self.out_path)
        return text


# --- process trees ------------------------------------------------------------------------------

def descendants(root: int) -> list[int]:
    """Every process below `root`, from /proc (Linux); [] elsewhere."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def tree_private_kib(root: int) -> int | None:
    """Memory that `root` and every process below it hold privately (pages shared after a fork
    count once, in the process that had them first), in KiB; None if `root` is gone."""
    total = private_kib(root)
    if total is None:
        return None
    for pid in descendants(root):
        total += private_kib(pid) or 0
    return total


def private_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(line.split()[1]) for line in f if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except (OSError, ValueError, IndexError):
        pass
    try:  # no smaps_rollup (old kernels): resident set size
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return None


def fd_tail(fd: int, limit: int = 8000) -> str:
    """The last `limit` bytes of the file open as `fd` (the child's output file)."""
    try:
        size = os.fstat(fd).st_size
        data = os.pread(fd, limit, max(0, size - limit)).decode("utf-8", errors="replace")
    except OSError:
        return ""
    return (f"[... {size - limit} bytes of output dropped ...]\n" + data) if size > limit else data
