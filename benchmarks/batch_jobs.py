"""`kata batch` over 10 copies of one submission: --jobs 2 against --jobs 1, side by side in one run.

    python benchmarks/batch_jobs.py [--copies 10] [--jobs 2] [--repeats 1] [--course DIR | --shipped]

The submission is a learner workspace holding the reference solutions. By default the course is
the small fake course of the framework's tests (tests/fixtures/course), so the run takes seconds
and measures kata's own parallelism; `--shipped` uses the real course (minutes per copy on CPU).
Prints the medians and the speed-up; on N cores the ideal is min(N, jobs)x.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _bench import FAKE_COURSE, Timing, fmt, kata_command, load_note, run_timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--course", type=Path, default=FAKE_COURSE, help="a course folder (KATA_COURSE)")
    where.add_argument("--shipped", action="store_true", help="the course shipped with kata")
    args = parser.parse_args()

    kata = kata_command()
    env = dict(os.environ)
    env.pop("KATA_COURSE", None)
    if not args.shipped:
        env["KATA_COURSE"] = str(args.course.resolve())
    probe = subprocess.run([*kata, "batch", "--help"], env=env, capture_output=True, text=True)
    if probe.returncode != 0 or "--jobs" not in probe.stdout:
        print("`kata batch` (with --jobs) does not exist in this kata yet: nothing to measure.")
        print(probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else probe.stderr.strip())
        return 2

    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        tmp = Path(tmp)
        first = tmp / "class" / "student00"
        subprocess.run([*kata, "init", str(first)], env=env, check=True, capture_output=True)
        course = Path(env["KATA_COURSE"]) if "KATA_COURSE" in env else None
        solutions = course / "solutions" if course else Path(__file__).resolve().parent.parent / "solutions"
        shutil.copytree(solutions, first / "exercises", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for n in range(1, args.copies):
            shutil.copytree(first, tmp / "class" / f"student{n:02}")
        timings = {jobs: Timing([], []) for jobs in (1, args.jobs)}
        for r in range(args.repeats):
            for jobs in timings:
                out = tmp / f"out-{jobs}-{r}" / "gradebook.csv"
                wall, cpu, done = run_timed([*kata, "batch", str(tmp / "class"), "--out", str(out),
                                             "--jobs", str(jobs)], env=env)
                timings[jobs].wall.append(wall)
                timings[jobs].cpu.append(cpu)
                rows = out.read_text().splitlines()
                if len(rows) != args.copies + 1:
                    print(f"FAIL: the gradebook has {len(rows) - 1} rows, expected {args.copies}\n{done.stdout}")
                    return 1

    print(f"kata batch over {args.copies} copies of a full-marks submission "
          f"({'the shipped course' if args.shipped else args.course}), {args.repeats} repeat(s), medians")
    print(f"({load_note()})")
    for jobs, t in timings.items():
        print(f"--jobs {jobs:<3} {fmt(t.wall_median)} wall {fmt(t.cpu_median)} cpu")
    one, many = timings[1].wall_median, timings[args.jobs].wall_median
    print(f"\n--jobs {args.jobs} is {one / many:.2f}x faster than --jobs 1 "
          f"(ideal on {os.cpu_count()} CPUs: {min(os.cpu_count() or 1, args.jobs)}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
