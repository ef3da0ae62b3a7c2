"""At import, leaves 300 MiB in the temporary folder, under a name the test looks for."""
import os
import tempfile

NAME = "kata-hostile-leftover.bin"
for folder in {"/tmp", tempfile.gettempdir()}:
    try:
        with open(os.path.join(folder, NAME), "wb") as f:
            for _ in range(300):
                f.write(b"\x07" * 2**20)
    except OSError:
        pass


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
