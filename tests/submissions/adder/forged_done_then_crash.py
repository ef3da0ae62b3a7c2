"""mul writes, on its own result pipe, records that pass mul and scale and end the stream, then
aborts: the records claim full marks from a stream that ends in a crash."""
import json
import os
import signal
import stat


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    records = [{"type": "outcome", "name": "mul", "outcome": "passed"},
               {"type": "start", "name": "scale"},
               {"type": "outcome", "name": "scale", "outcome": "passed"},
               {"type": "done"}]
    payload = "".join(json.dumps(r) + "\n" for r in records).encode()
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, payload)
        except OSError:
            pass
    os.kill(os.getpid(), signal.SIGABRT)
    return a + b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
