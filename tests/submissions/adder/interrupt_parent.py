"""mul sends SIGINT to its parent, which Python turns into KeyboardInterrupt: the sandbox's worker
dies, and with it the sandbox. The remaining checks must run in a fresh one."""
import os
import signal
import time


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(2)
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
