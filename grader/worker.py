"""The warm worker inside a bubblewrap sandbox (grader/sandbox.py starts it).

It imports the heavy modules once, then forks one grading child (grader/child.py) per request
and relays that child's event lines, unread, to the grader outside. After each child, every other
process in the sandbox is killed, so nothing the learner's code started outlives its exercise.

Lines in (stdin):  {"warm": [...]} once, then {"seq": n, "job": {...}, "only": [...] | null}
                   or {"kill": n}.
Lines out (stdout): {"ready": true, "environment": {...}} once, then {"seq": n, "line": "..."}
                   per event line and {"seq": n, "exit": code, "output": "...", "garbled": bool}.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from pathlib import Path

from . import channel, engines

OUTPUT_LIMIT = 8000


def main() -> None:
    engines.not_dumpable()
    requests, replies = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    inbox = channel.Reader(requests)
    hello = _next_request(inbox)
    engines.warm_up(tuple(hello.get("warm", ())))
    _reply(replies, {"ready": True, "environment": engines.environment("bubblewrap")})
    while True:
        request = _next_request(inbox)
        if "job" in request:
            _run(request, inbox, replies)


def _next_request(inbox: channel.Reader) -> dict:
    while True:
        for line in inbox.lines(None):
            message = json.loads(line)
            if type(message) is dict:
                return message
        if inbox.eof:  # the grader is gone
            os._exit(0)


def _run(request: dict, inbox: channel.Reader, replies: int) -> None:
    from . import child
    seq, job, only = request["seq"], _job(request["job"]), request.get("only")
    out_path = f"/tmp/.kata-out-{seq}"
    open(out_path, "wb").close()
    with channel.FORK_LOCK:
        read_fd, write_fd = channel.open_pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(replies)
                child.main(job, only, write_fd, out_path)
            finally:
                os._exit(1)
        channel.close(write_fd, locked=True)
    events = channel.Reader(read_fd)
    code = None
    while code is None:
        ready = select.select([read_fd, inbox.fd], [], [], 0.05)[0]
        if read_fd in ready:
            for line in events.lines(0):
                _reply(replies, {"seq": seq, "line": line.decode("utf-8", errors="replace")})
        if inbox.fd in ready:
            for line in inbox.lines(0):
                message = json.loads(line)
                if type(message) is dict and message.get("kill") == seq:
                    _kill_others()
            if inbox.eof:
                _kill_others()
                os._exit(0)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
    for line in events.drain_lines():
        _reply(replies, {"seq": seq, "line": line.decode("utf-8", errors="replace")})
    _kill_others()  # daemons, threads' processes, grandchildren: nothing outlives the exercise
    channel.close(read_fd)
    _reply(replies, {"seq": seq, "exit": code, "output": engines.file_tail(out_path, OUTPUT_LIMIT),
                     "garbled": events.garbled})
    os.unlink(out_path)


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


def _job(data: dict):
    from .manifest import ExerciseSpec
    from .runner import Job
    spec = dict(data["spec"])
    for key in ("hints", "requires", "forbid"):
        spec[key] = tuple(spec.get(key, ()))
    return Job(spec=ExerciseSpec(**spec), check_module=Path(data["check_module"]),
               submission=Path(data["submission"]), display=data["display"],
               require_gpu=bool(data.get("require_gpu")), threads=int(data.get("threads", 1)),
               limits=tuple((str(n), float(s)) for n, s in data.get("limits", ())), root=None)


def _reply(fd: int, message: dict) -> None:
    channel.write_line(fd, json.dumps(message))


if __name__ == "__main__":
    main()
    sys.exit(0)
