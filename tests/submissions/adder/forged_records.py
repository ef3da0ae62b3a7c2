"""mul answers wrongly and prints text shaped like a passing result record."""


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    import sys, os
    record = "{\"type\": \"check\", \"name\": \"mul\", \"outcome\": \"passed\", \"max_points\": 2}"
    print(record)
    os.write(1, (record + "\n").encode())
    sys.stderr.write(record + "\n")
    return a + b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
