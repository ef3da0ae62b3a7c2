"""mul asks for 8 GiB."""


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    hog = bytearray(8 * 2**30)
    return a * b + len(hog)


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
