"""At import, leaves 300 MiB in the temporary folder (30 files of 10 MiB, allocated on
disk: each file is capped at 16 MiB), under names the test looks for."""
import os
import tempfile

NAME = "kata-hostile-leftover"
for folder in {"/tmp", tempfile.gettempdir()}:
    left = 0
    for number in range(30):
        try:
            with open(os.path.join(folder, f"{NAME}-{number}.bin"), "wb") as f:
                f.write(b"\x07" * 2**20)
                os.posix_fallocate(f.fileno(), 0, 10 * 2**20)  # real blocks, without the time to write them
                left += 10
        except OSError:
            break
    print(f"left {left} MiB in {folder}")


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
