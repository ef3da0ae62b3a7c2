"""Starts a thread that never ends; otherwise correct."""
import threading, time


def _spin():
    while True:
        time.sleep(0.01)


threading.Thread(target=_spin).start()


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
