"""add waits for keyboard input."""


def add(a: float, b: float) -> float:
    return float(input("a number: ")) + b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
