"""add prints about 12 MB before answering."""


def add(a: float, b: float) -> float:
    for i in range(50_000):
        print("flood " * 40, i)
    return a + b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
