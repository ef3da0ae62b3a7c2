"""mul crashes the interpreter with a segmentation fault."""


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    import ctypes
    return ctypes.string_at(0)


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
