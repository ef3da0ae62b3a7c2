"""What kata's isolation costs: `kata grade --solutions` against plain pytest, side by side in one run.

    python benchmarks/grade_overhead.py [--only ID ...] [--repeats 3] [--jobs 1]

Three ways to run the same hidden checks against the reference solutions:
  kata        `kata grade --solutions [IDS]`: a warm parent, one forked child per exercise;
  pytest      `python -m pytest -p grader.plugin <checks> --kata-root solutions`: one process, no
              isolation (the floor);
  per-file    the same pytest command once per exercise, a fresh interpreter each time (what
              kata avoids: an interpreter start and a torch import per exercise).
Targets (DESIGN.md): kata/pytest <= 1.2, per-file/kata >= 3. The runs are interleaved, medians are
printed with wall and CPU time. Exits 1 when a run fails or kata does not score full marks.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _bench import REPO, Timing, fmt, kata_command, load_note, run_timed

sys.path.insert(0, str(REPO))
from grader.courses import default as default_course  # noqa: E402  (light: standard library only)

PYTEST = [sys.executable, "-m", "pytest", "-p", "grader.plugin", "-q", "-p", "no:cacheprovider"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", default=None, help="limit to these exercises")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="--jobs for kata grade (default 1: like for like)")
    args = parser.parse_args()

    course = default_course()
    if args.only:
        specs = [course.manifest.get(i) for i in args.only]
        missing = [s.id for s in specs if not course.check_module(s).is_file()]
        if missing:
            print(f"no hidden checks for: {', '.join(missing)}")
            return 1
    else:  # the whole course, less exercises whose checks are not written yet
        specs = [s for s in course.manifest if course.check_module(s).is_file()]
        left_out = [s.id for s in course.manifest if not course.check_module(s).is_file()]
        if left_out:
            print(f"(left out, no hidden checks yet: {', '.join(left_out)})")
    ids = [s.id for s in specs]
    files = [str(course.check_module(s).relative_to(REPO)) for s in specs]
    solutions = str(course.solutions_dir.relative_to(REPO))
    env = dict(os.environ)
    env.pop("KATA_COURSE", None)

    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        results_json = Path(tmp) / "results.json"
        ways = {
            "kata grade --solutions": [*kata_command(), "grade", "--solutions", "--jobs", str(args.jobs),
                                       "--format", "json", "--out", str(results_json),
                                       *ids],
            "pytest, one process": [*PYTEST, *(files if args.only else [str(course.checks_dir.relative_to(REPO))]),
                                    "--kata-root", solutions],
        }
        timings = {name: Timing([], []) for name in (*ways, "pytest, one per exercise")}
        per_file = {s.id: [] for s in specs}
        for _ in range(args.repeats):
            for name, cmd in ways.items():
                wall, cpu, _ = run_timed(cmd, cwd=REPO, env=env)
                timings[name].wall.append(wall)
                timings[name].cpu.append(cpu)
            wall_sum = cpu_sum = 0.0
            for spec, file in zip(specs, files):
                wall, cpu, _ = run_timed([*PYTEST, file, "--kata-root", solutions], cwd=REPO, env=env)
                per_file[spec.id].append(wall)
                wall_sum, cpu_sum = wall_sum + wall, cpu_sum + cpu
            timings["pytest, one per exercise"].wall.append(wall_sum)
            timings["pytest, one per exercise"].cpu.append(cpu_sum)
        report = json.loads(results_json.read_text())

    print(f"grading {len(ids)} exercise(s) ({', '.join(ids)}), {args.repeats} interleaved repeats, medians")
    print(f"({load_note()})")
    print(f"{'way':28} {'wall':>9} {'cpu':>9}")
    for name, t in timings.items():
        print(f"{name:28} {fmt(t.wall_median)} {fmt(t.cpu_median)}")
    kata, plain, fresh = (timings[n] for n in ("kata grade --solutions", "pytest, one process",
                                                "pytest, one per exercise"))
    overhead = kata.wall_median / plain.wall_median
    speedup = fresh.wall_median / kata.wall_median
    print(f"\nkata / pytest in one process:      {overhead:5.2f}x wall ({kata.cpu_median / plain.cpu_median:.2f}x CPU)"
          f"  target <= 1.2: {'met' if overhead <= 1.2 else 'MISSED'}")
    print(f"one interpreter per exercise / kata: {speedup:5.2f}x wall ({fresh.cpu_median / kata.cpu_median:.2f}x CPU)"
          f"  target >= 3: {'met' if speedup >= 3 else 'MISSED'}")

    print("\nper exercise in kata's last run (from its results) and per fresh interpreter (median):")
    import statistics
    for e in report["exercises"]:
        fresh_s = statistics.median(per_file[e["id"]]) if e["id"] in per_file else float("nan")
        print(f"  {e['id']:28} {e['status']:9} {e['score']:g}/{e['max_score']:g}  kata child {e['duration_s']:6.2f} s"
              f"   fresh pytest {fresh_s:6.2f} s")
    children = sum(e["duration_s"] for e in report["exercises"])
    print(f"  kata's grade took {report['duration_s']:.2f} s, {children:.2f} s of it in the children; the rest is"
          f" the one-time import of numpy, torch and pytest (and the interpreter start is outside it)")
    if report["score"] != report["max_score"]:
        print("FAIL: the reference solutions did not score full marks")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
