"""Grading inside a bubblewrap sandbox: one warm worker per submission.

bubblewrap (Debian/Ubuntu package `bubblewrap`) starts the worker (grader/worker.py) in new user,
PID, mount, network, IPC and UTS namespaces, with no capabilities, `--die-with-parent` and
`--new-session`. What the sandbox sees, read-only unless said otherwise:

    /usr, the few /etc files that programs need, the Python installation and its site-packages
    /kata/lib/grader     the kata package, with the hidden checks, reference solutions, alternatives
                         and mutants hidden under empty folders (also wherever else they are mounted)
    /kata/work           private copies of the files being graded, one version each
    /tmp                 a tmpfs of TMP_BYTES for this sandbox alone, emptied between exercises
    /dev, /proc          minimal ones (the GPU's device files when there is a GPU)

The checks themselves run outside, in a judge process (grader/judge.py) that talks to the
learner's process in here through a socket. Every process the learner's code starts lives in the
sandbox's PID namespace and dies with it. The trusted `kata` outside reads only the worker's
lines and the judge's events, writes every result file after the sandbox is gone, and never reads
a file the sandbox could write.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from . import channel, engines

MODES = ("auto", "required", "none")
LIB = Path("/kata/lib")
WORK = Path("/kata/work")
TMP_BYTES = 256 * 2**20
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "passwd", "group",
       "nsswitch.conf", "hosts", "ssl", "ca-certificates", "mime.types")
# --cap-drop ALL: run by root, bubblewrap would keep every capability inside, and the learner's
# code could open the worker's pipes through /proc despite it being not dumpable.
# --as-pid-1: the worker is the sandbox's init, so no bubblewrap process inside holds the pipes
# to the grader (it was dumpable: /proc/1/fd/1 let any process forge the worker's replies), and
# the kernel drops the learner's SIGTERM, SIGSTOP and SIGKILL sent to it.
FLAGS = ("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
         "--as-pid-1")
READY_TIMEOUT_S = 120  # importing torch on a cold, busy machine
KILL_GRACE_S = 1.0


class SandboxError(Exception):
    """bubblewrap cannot run here, or the worker did not start."""


@lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why bubblewrap cannot sandbox here, or None when it can (probed once per process)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    args = [bwrap, *FLAGS, *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--", "true"]
    try:
        done = subprocess.run(args, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        return f"bwrap could not start: {reason[-1] if reason else f'exit status {done.returncode}'}"
    return None


def choose(mode: str) -> str:
    """The sandbox to use for a `--sandbox` mode: "bubblewrap" or "none"."""
    if mode == "bubblewrap":
        mode = "required"
    if mode not in MODES:
        raise SandboxError(f"--sandbox {mode!r}: one of {', '.join(MODES)}")
    if mode == "none":
        return "none"
    reason = unavailable()
    if reason is None:
        return "bubblewrap"
    if mode == "required":
        raise SandboxError(f"--sandbox required, but {reason}. Install the bubblewrap package (and allow"
                           " unprivileged user namespaces), or grade with --sandbox none.")
    return "none"


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


# --- the engine ---------------------------------------------------------------------------------

class SandboxEngine:
    """Starts children through a worker inside one sandbox, started on first use."""
    name = "bubblewrap"

    def __init__(self, course, *, with_torch: bool = True) -> None:
        self.course, self.with_torch = course, with_torch
        self.base = Path(tempfile.mkdtemp(prefix="kata-sandbox-"))
        (self.base / "work").mkdir()
        self.group = None  # a cgroup v2 group for the sandbox, where one can be made (grader/cgroups.py)
        self.seq = 0
        self.binds = self._binds()
        self._environment: dict | None = None
        self.worker: _Worker | None = None
        try:  # the worker warms up inside the sandbox while the judges' parent warms up here
            self.worker = _Worker(self.command(), with_torch=with_torch)
        except OSError:
            self.worker = None  # started (and its failure told) on first use
        engines.warm_up(engines.warm_modules(with_torch))  # the judges fork from here
        engines.not_dumpable()

    def environment(self) -> dict:
        if self._environment is None:
            self._ensure_worker()
        return dict(self._environment or engines.environment(self.name), sandbox=self.name)

    @contextlib.contextmanager
    def snapshot(self, job, source: bytes):
        self.seq += 1
        folder = self.base / "work" / str(self.seq)
        folder.mkdir()
        path = folder / Path(job.submission).name
        path.write_bytes(source)
        try:
            yield replace(job, submission=WORK / str(self.seq) / path.name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def start(self, job, only: list[str] | None) -> engines.JudgedAttempt:
        worker = self._ensure_worker()
        self.seq += 1
        if self.group is not None:  # the kernel's limit: the exercise's memory over what the worker holds now
            self.group.limit_memory((self.group.memory_kib() or 0) * 1024 + int(1.5 * job.spec.memory * 2**20))
        return engines.JudgedAttempt(job, only, lambda sock: SandboxedLearner(worker, self.seq, sock, job.learner(),
                                                                              self.group))

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None
        if self.group is not None:
            self.group.remove()
            self.group = None
        shutil.rmtree(self.base, ignore_errors=True)

    def _account(self, pid: int) -> None:
        """The sandbox's processes into a cgroup v2 group of their own, where the kernel allows."""
        from . import cgroups
        if self.group is None:
            self.group = cgroups.Group.create()
        if self.group is not None:
            for process in [pid, *engines.descendants(pid)]:
                self.group.add(process)

    def _ensure_worker(self) -> "_Worker":
        if self.worker is not None and self.worker.environment is None:  # started by __init__
            return self._started(self.worker)
        if self.worker is None or not self.worker.alive():
            if self.worker is not None:
                self.worker.kill()
            self.worker = self._started(_Worker(self.command(), with_torch=self.with_torch))
        return self.worker

    def _started(self, worker: "_Worker") -> "_Worker":
        self._environment = worker.await_ready()
        self._account(worker.process.pid)
        return worker

    # --- what the sandbox sees ------------------------------------------------------------------

    def _binds(self) -> list[tuple[Path, Path]]:
        """(outside, inside) read-only binds of Python and the kata package (never the checks)."""
        package = Path(__file__).resolve().parent
        binds = [(Path(sys.base_prefix).resolve(),) * 2, (Path(sys.prefix).resolve(),) * 2]
        for site in _site_dirs():
            if not any(_inside(site, src) for src, _ in binds):
                binds.append((site, site))
        binds.append((package, LIB / "grader"))
        return binds

    def inside(self, path: Path) -> Path:
        """Where an outside path appears in the sandbox (the most specific bind wins)."""
        path = Path(path).resolve()
        for src, dest in sorted(self.binds, key=lambda b: len(str(b[0])), reverse=True):
            if _inside(path, src):
                return dest / path.relative_to(src)
        raise SandboxError(f"{path} is not visible in the sandbox")

    def command(self) -> list[str]:
        args = [shutil.which("bwrap") or "bwrap", *FLAGS, *_system_binds()]
        # The private /tmp first: a kata installed under /tmp (a CI clone) is bound over it next.
        args += ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
        for src, dest in self.binds:
            args += ["--ro-bind", str(src), str(dest)]
        # The check modules (chapter folders) and each exercise's mistake library beside them.
        package_checks = Path(__file__).resolve().parent / "checks"
        chapters = [d for d in package_checks.iterdir() if d.is_dir() and not d.name.startswith("__")]
        for hidden in (*chapters, self.course.solutions_dir, self.course.alternatives_dir, self.course.mutants_dir):
            hidden = Path(hidden).resolve()
            if not hidden.is_dir():  # nothing to hide, and no mount point in a read-only bind
                continue
            for src, dest in self.binds:
                if _inside(hidden, src):
                    args += ["--tmpfs", str(dest / hidden.relative_to(src))]
        args += ["--ro-bind", str(self.base / "work"), str(WORK),
                 "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp"]
        for device in sorted(Path("/dev").glob("nvidia*")):
            args += ["--dev-bind", str(device), str(device)]
        args += ["--ro-bind-try", "/sys", "/sys", "--clearenv"]
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "PYTHONPATH": str(LIB), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        for name in ("CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "KATA_COURSE"):
            if name in os.environ:
                env[name] = os.environ[name]
        for name, value in env.items():
            args += ["--setenv", name, value]
        # -P: no script folder (the cwd, /tmp) first on sys.path, where a planted module would shadow
        return [*args, "--", sys.executable, "-P", "-m", "grader.worker"]


def _site_dirs() -> list[Path]:
    import site
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    dirs += [p for p in sys.path if p.endswith("-packages")]
    return list(dict.fromkeys(Path(d).resolve() for d in dirs if os.path.isdir(d)))


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).relative_to(folder)
        return True
    except ValueError:
        return False


# --- the worker, seen from outside --------------------------------------------------------------

class _Worker:
    """The sandboxed worker process: one request line in per attempt, event lines out."""

    def __init__(self, command: list[str], *, with_torch: bool) -> None:
        self.errors = tempfile.TemporaryFile()
        # A process group of its own (killed whole), but the grader's session: whoever stops the
        # grader's session (a notebook's interrupt) stops the sandbox with it.
        group = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
        self.descriptors, theirs = socket.socketpair()
        try:  # pass_fds keeps the number: the worker is told it
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=self.errors, close_fds=True, pass_fds=(theirs.fileno(),), **group)
            number = theirs.fileno()
        finally:
            theirs.close()
        self.reader = channel.Reader(self.process.stdout.fileno())
        self.pending: list[dict] = []
        self.send({"warm": list(engines.warm_modules(with_torch, engines.LEARNER_MODULES)), "descriptors": number})
        self.environment: dict | None = None  # set once it says it is ready

    def await_ready(self) -> dict:
        if self.environment is None:
            self.environment = self._await_ready()
        return self.environment

    def _await_ready(self) -> dict:
        ends = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < ends:
            for message in self.messages(0.1):
                if message.get("ready"):
                    environment = message.get("environment")
                    return environment if type(environment) is dict else {}
            if self.process.poll() is not None:
                break
        self.errors.seek(0)
        why = self.errors.read().decode(errors="replace").strip().splitlines()
        self.kill()
        raise SandboxError(f"the sandbox's worker did not start ({why[-1] if why else 'no message'})")

    def send(self, message: dict) -> None:
        try:
            channel.write_line(self.process.stdin.fileno(), json.dumps(message))
        except OSError:  # it has ended; the attempt sees that
            pass

    def messages(self, timeout: float) -> list[dict]:
        """Messages from the worker (relayed child lines stay raw until the attempt decodes them)."""
        out = self.pending
        self.pending = []
        for line in self.reader.lines(timeout):
            try:
                message = json.loads(line)
            except ValueError:
                self.reader.garbled = True
                continue
            if type(message) is dict:
                out.append(message)
        return out

    def alive(self) -> bool:
        return self.process.poll() is None and not self.reader.eof

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # bwrap; the sandbox dies with it
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout, self.descriptors):
            with contextlib.suppress(OSError):
                stream.close()
        self.errors.close()


class SandboxedLearner:
    """The learner's process, forked by the worker inside the sandbox on the socket passed to it."""

    def __init__(self, worker: _Worker, seq: int, sock: socket.socket, learner_job, group=None) -> None:
        self.worker, self.seq, self.group = worker, seq, group
        self.code: int | None = None
        self.finished = False  # the worker reported the learner's process's end
        self.text = ""
        worker.send({"seq": seq, "learn": learner_job.to_dict()})
        try:
            socket.send_fds(worker.descriptors, [b"s"], [sock.fileno()])
        except OSError:  # the worker is gone; exit_code says so
            pass

    def _read(self, timeout: float) -> None:
        for message in self.worker.messages(timeout):
            if message.get("seq") == self.seq and "exit" in message:
                self.finished = True
                self.code = message["exit"] if type(message["exit"]) is int else None
                self.text = message.get("output") if type(message.get("output")) is str else ""

    def exit_code(self) -> int | None:
        if not self.finished:
            self._read(0)
        if not self.finished and not self.worker.alive():
            return -signal.SIGKILL  # the learner's code ended the worker: the sandbox went with it
        return self.code if self.finished else None

    def memory_kib(self) -> int | None:
        if self.group is not None:  # everything the kernel charges: socket buffers, /tmp, ...
            return self.group.memory_kib()
        return engines.tree_private_kib(self.worker.process.pid)

    def kill(self) -> None:
        if self.finished or not self.worker.alive():
            return
        self.worker.send({"kill": self.seq})
        ends = time.monotonic() + KILL_GRACE_S
        while time.monotonic() < ends and not self.finished and self.worker.alive():
            self._read(0.05)
        if not self.finished:  # the worker does not answer (stopped?): the whole sandbox goes
            self.worker.kill()

    def output(self) -> str:
        return self.text


def new_engine(sandbox: str, course, *, with_torch: bool):
    """An engine for one submission: "bubblewrap" or "none" (see choose)."""
    if sandbox == "bubblewrap":
        return SandboxEngine(course, with_torch=with_torch)
    return engines.ForkEngine(with_torch=with_torch)

