"""mul starts three processes that each fill 320 MiB (a plain child and two double-forked setsid
daemons), each under the per-process limit, 960 MiB together against the exercise's 512 MiB."""
import os
import time

SIZE = 320 * 2**20


def _hold() -> None:
    block = bytearray(b"\x01") * SIZE  # written, so the pages are really used
    time.sleep(60)  # holding block
    os._exit(0)


def _child(daemon: bool) -> None:
    if os.fork():
        return
    if daemon:
        os.setsid()
        if os.fork():
            os._exit(0)
    _hold()


def add(a: float, b: float) -> float:
    return a + b


def mul(a: float, b: float) -> float:
    _child(False)
    _child(True)
    _child(True)
    time.sleep(60)
    return a * b


def scale(xs: list[float], k: float) -> list[float]:
    return [k * x for x in xs]
