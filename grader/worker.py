"""The warm worker inside a bubblewrap sandbox (grader/sandbox.py starts it).

It imports the heavy modules once, then forks one learner's process (grader/learner.py) per
request, on a socket whose other end is the judge outside; the grader passes that socket over the
descriptor channel (a socket it inherits, numbered in the first line). The worker never reads what the learner's process says. After
each learner's process, every other process in the sandbox is killed and /tmp is emptied, so
nothing the learner's code started or left behind reaches the next exercise.

Lines in (stdin):  {"warm": [...], "descriptors": fd} once, then {"seq": n, "learn": {LearnerJob}} (its socket follows
                   on the descriptor channel) or {"kill": n}.
Lines out (stdout): {"ready": true, "environment": {...}} once, then {"seq": n, "exit": code,
                   "output": "..."} when that learner's process has ended.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import channel, engines

OUTPUT_LIMIT = 8000
TMP = "/tmp"


def main() -> None:
    engines.not_dumpable()
    requests, replies = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    inbox = channel.Reader(requests)
    hello = _next_request(inbox)
    descriptors = socket.socket(fileno=int(hello["descriptors"]))
    engines.warm_up(tuple(hello.get("warm", ())))
    _reply(replies, {"ready": True, "environment": engines.environment("bubblewrap")})
    while True:
        request = _next_request(inbox)
        if "learn" in request:
            _run(request, inbox, replies, descriptors)


def _next_request(inbox: channel.Reader) -> dict:
    while True:
        for line in inbox.lines(None):
            message = json.loads(line)
            if type(message) is dict:
                return message
        if inbox.eof:  # the grader is gone
            os._exit(0)


def _run(request: dict, inbox: channel.Reader, replies: int, descriptors: socket.socket) -> None:
    from . import learner
    from .jobs import LearnerJob
    seq = request["seq"]
    _, fds, _, _ = socket.recv_fds(descriptors, 16, 1)
    if not fds:
        _reply(replies, {"seq": seq, "exit": 1, "output": ""})
        return
    job = LearnerJob.from_dict(request["learn"])
    _empty_tmp()
    # A fresh name (O_EXCL, unguessable) read back through this descriptor: a name the learner's
    # code could guess or replace (by a named pipe, say) would let it hang this worker.
    out_fd, out_path = tempfile.mkstemp(prefix=".kata-out-", dir=TMP)
    with channel.FORK_LOCK:
        pid = os.fork()
        if pid == 0:
            try:
                learner.main(fds[0], job, out_path)
            finally:
                os._exit(1)
    os.close(fds[0])
    code = None
    while code is None:
        ready = select.select([inbox.fd], [], [], 0.05)[0]
        if inbox.fd in ready:
            for line in inbox.lines(0):
                message = json.loads(line)
                if type(message) is dict and message.get("kill") == seq:
                    _kill_others()
            if inbox.eof:
                _kill_others()
                os._exit(0)
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped by _kill_others on the grader's request
            done, status = pid, 9
        if done:
            code = os.waitstatus_to_exitcode(status)
    _kill_others()  # daemons, threads' processes, grandchildren: nothing outlives the exercise
    _reply(replies, {"seq": seq, "exit": code, "output": engines.fd_tail(out_fd, OUTPUT_LIMIT)})
    os.close(out_fd)
    _empty_tmp()


def _kill_others() -> None:
    """Kill every process in the sandbox but its init (pid 1) and this worker."""
    me = os.getpid()
    for _ in range(3):  # a fork bomb may add processes while we kill
        pids = [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in (1, me)]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        time.sleep(0.01)


def _empty_tmp() -> None:
    """Everything in /tmp goes, however deep or strange: coreutils' rm walks without recursion
    limits, and /tmp is a size-limited tmpfs of this sandbox alone."""
    with contextlib.suppress(OSError):
        names = os.listdir(TMP)
        paths = [os.path.join(TMP, n) for n in names]
        if paths:  # unreadable folders first made readable, or rm could not empty them
            _open_up(TMP)
            subprocess.run(["rm", "-rf", "--one-file-system", "--", *paths], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)


def _open_up(root: str) -> None:
    """Every folder below `root` on its own file system made readable and writable, without a
    recursion limit and never crossing into a bind mount (kata itself, installed under /tmp, is
    bound there: `chmod -R` would walk, and could change, the host's files)."""
    device = os.lstat(root).st_dev
    stack = [root]
    while stack:
        path = stack.pop()
        with contextlib.suppress(OSError):
            if path != root:
                os.chmod(path, 0o700)
            with os.scandir(path) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_dev == device:
                            stack.append(entry.path)


def _reply(fd: int, message: dict) -> None:
    channel.write_line(fd, json.dumps(message))


if __name__ == "__main__":
    main()
    sys.exit(0)
