"""What one call across the judge's boundary costs (grader/judge.py <-> grader/learner.py).

    python benchmarks/boundary_cost.py [--repeats 2000]

A learner's process is forked as kata forks it; the same functions are then called directly
(in-process, the floor) and through a Learner, and the medians per call are printed with their
ratio. Payloads: a number, a 1 000-element float64 array, a 1 000 000-element one, a tensor of
3 x 224 x 224, an attribute of a handle, and a call that calls back into the judge.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from grader.jobs import LearnerJob  # noqa: E402
from grader.judge import Connection, Learner  # noqa: E402
from grader.learner import main as learner_main  # noqa: E402

SOURCE = textwrap.dedent('''
    def ident(x):
        return x

    def calls_back(f):
        return f(1)

    class Box:
        def __init__(self):
            self.value = 3
''')


def per_call(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kata-bench-"))
    path, out = folder / "learner.py", folder / "out.txt"
    path.write_text(SOURCE)
    out.write_text("")
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ours.close()
        learner_main(theirs.detach(), LearnerJob(str(path), "learner.py", "kata_bench"), str(out))
    theirs.close()
    connection = Connection(ours)
    connection.request("load")
    connection.request("begin")
    sub = Learner(connection)
    local: dict = {}
    exec(SOURCE, local)  # noqa: S102 - the same functions, in this process

    box = sub.Box()
    local_box = local["Box"]()
    small, large = np.random.default_rng(0).standard_normal(1000), np.random.default_rng(1).standard_normal(10**6)
    image = torch.randn(3, 224, 224)
    cases = [
        ("a number", lambda: local["ident"](1.5), lambda: sub.ident(1.5), args.repeats),
        ("1 000 float64", lambda: local["ident"](small), lambda: sub.ident(small), args.repeats),
        ("1 000 000 float64 (8 MB)", lambda: local["ident"](large), lambda: sub.ident(large), max(20, args.repeats // 100)),
        ("tensor 3x224x224", lambda: local["ident"](image), lambda: sub.ident(image), max(50, args.repeats // 20)),
        ("a handle's attribute", lambda: local_box.value, lambda: box.value, args.repeats),
        ("a call back into the judge", lambda: local["calls_back"](lambda x: x), lambda: sub.calls_back(lambda x: x),
         args.repeats),
    ]
    print(f"{'call':30} {'in-process':>12} {'across':>12} {'extra per call':>15}")
    for name, direct, remote, repeats in cases:
        floor, across = per_call(direct, repeats), per_call(remote, repeats)
        print(f"{name:30} {floor * 1e6:10.1f} us {across * 1e6:10.1f} us {(across - floor) * 1e6:12.1f} us")
    connection.close()
    os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
