"""Helpers shared by the benchmark scripts: run a command, time it (wall and CPU), take medians.

Not a test module: the scripts in this folder are run by hand, e.g. `python benchmarks/next_startup.py`.
"""
from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAKE_COURSE = REPO / "tests" / "fixtures" / "course"


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]  # user + system seconds of the child and its children

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def kata_command() -> list[str]:
    """The installed `kata` console script next to this interpreter (what a learner runs)."""
    script = Path(sys.executable).parent / "kata"
    if script.is_file():
        return [str(script)]
    found = shutil.which("kata")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from grader.cli import cli; sys.exit(cli())"]


def run_timed(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None,
              check: bool = True) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run `cmd` once; (wall seconds, CPU seconds, the finished process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if check and done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout[-3000:]}")
    return wall, cpu, done


def load_note() -> str:
    """The load average against the CPU count: timings on a busy machine are inflated."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return ""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    note = f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {cpus} CPUs"
    return note + ("  -- BUSY MACHINE: wall times inflated, compare CPU times" if one > (cpus or 1) else "")


def fmt(seconds: float) -> str:
    return f"{seconds:7.3f} s"
