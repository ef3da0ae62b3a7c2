"""add and mul are right; scale aborts the process."""


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    import os
    os.abort()
