"""mul loops forever; the other checks keep their points."""


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    while True:
        pass


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
