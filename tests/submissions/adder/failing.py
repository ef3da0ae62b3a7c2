"""add subtracts: one check fails."""


def add(a: float, b: float) -> float:
    return a - b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
