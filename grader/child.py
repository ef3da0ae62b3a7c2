"""A grading child: run one exercise's hidden checks with pytest and the kata plugin, and report
each fact as an event on its own pipe. Forked from a warm process (grader/engines.py in the
grading parent, or grader/worker.py inside a sandbox); it ends with os._exit, never returns.
"""
from __future__ import annotations

import os
import signal
import sys

from . import channel

FILE_OUTPUT_LIMIT = 16 * 2**20  # bytes the child may write to its stdout/stderr file


def main(job, only: list[str] | None, write_fd: int, out_path: str) -> None:
    code = 0
    try:
        isolate(job, out_path)
        import pytest

        from . import events as ev
        from .plugin import KataSession
        channel.keep_only(write_fd)

        def emit(event) -> None:
            channel.send(write_fd, event)

        session = KataSession(file=job.submission, spec=job.spec, display=job.display, emit=emit,
                              only=set(only) if only is not None else None,
                              require_gpu=job.require_gpu, memory_mib=job.spec.memory, threads=job.threads)
        args = [str(job.check_module), "-p", "grader.plugin", "-s", "--assert=plain", "--import-mode=importlib",
                "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:terminal", "-p", "no:stepwise",
                "--rootdir", str(job.check_module.parent), "-c", os.devnull]
        pytest.main(args, plugins=[session])
        emit(ev.Done())
    except BaseException:  # noqa: BLE001 - the parent sees the missing events and reports
        code = 1
    finally:
        os._exit(code)


def isolate(job, out_path: str) -> None:
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
    data_kib = status_kib("VmData") or 0
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


def status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
