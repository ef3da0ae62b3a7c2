"""What the bubblewrap sandbox costs: `kata grade --solutions` with `--sandbox none` and `--sandbox
required`, interleaved, in one run.

    python benchmarks/sandbox_overhead.py [--only ID ...] [--repeats 3] [--jobs 1]

Each way grades the reference solutions of the chosen exercises (default: the whole course) and
must score full marks. The sandbox starts one warm worker per lane (`--jobs`) and imports torch
inside it once; the price is that start, paid once per submission (issue 11: grading speed stays
within today's figures). Prints medians of wall and CPU time, the ratio, and the per-exercise times
from each way's last report. Exits 1 when a run fails, does not score full marks, or bubblewrap
cannot run here.
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

WAYS = ("none", "required")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", default=None, help="limit to these exercises")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="--jobs for kata grade (default 1)")
    args = parser.parse_args()

    from grader.sandbox import unavailable
    reason = unavailable()
    if reason:
        print(f"bubblewrap cannot sandbox here: {reason}")
        return 1
    course = default_course()
    if args.only:
        specs = [course.manifest.get(i) for i in args.only]
    else:  # the whole course, less exercises whose checks are not written yet
        specs = [s for s in course.manifest if course.check_module(s).is_file()]
    ids = [s.id for s in specs]
    env = dict(os.environ)
    env.pop("KATA_COURSE", None)
    env.pop("KATA_SANDBOX", None)

    timings = {way: Timing([], []) for way in WAYS}
    reports: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        for _ in range(args.repeats):
            for way in WAYS:
                out = Path(tmp) / f"{way}.json"
                cmd = [*kata_command(), "grade", "--solutions", "--sandbox", way, "--jobs", str(args.jobs),
                       "--format", "json", "--out", str(out), *(ids if args.only else [])]
                wall, cpu, _ = run_timed(cmd, cwd=REPO, env=env)
                timings[way].wall.append(wall)
                timings[way].cpu.append(cpu)
                reports[way] = json.loads(out.read_text())

    print(f"grading {len(ids)} exercise(s) ({', '.join(ids) if args.only else 'the whole course'}),"
          f" --jobs {args.jobs}, {args.repeats} interleaved repeats, medians")
    print(f"({load_note()})")
    print(f"{'--sandbox':12} {'wall':>9} {'cpu':>9}")
    for way, t in timings.items():
        print(f"{way:12} {fmt(t.wall_median)} {fmt(t.cpu_median)}")
    plain, boxed = timings["none"], timings["required"]
    print(f"\nsandbox / none: {boxed.wall_median / plain.wall_median:5.2f}x wall,"
          f" {boxed.wall_median - plain.wall_median:+.2f} s per grade")
    print("(compare wall times: the sandbox's CPU time is mostly not counted, its worker is killed"
          " with the sandbox rather than reaped by kata)")

    print("\nper exercise in each way's last run (seconds in the grader, from its report):")
    by_way = {way: {e["id"]: e for e in report["exercises"]} for way, report in reports.items()}
    for eid in ids:
        cells = "   ".join(f"{way} {by_way[way][eid]['duration_s']:6.2f}" for way in WAYS if eid in by_way[way])
        print(f"  {eid:28} {cells}")
    failed = [way for way, report in reports.items() if report["score"] != report["max_score"]]
    for way in failed:
        print(f"FAIL: --sandbox {way}: the reference solutions did not score full marks"
              f" ({reports[way]['score']:g}/{reports[way]['max_score']:g})")
    sandboxes = {report.get("environment", {}).get("sandbox") for report in reports.values()}
    if sandboxes != {"none", "bubblewrap"}:
        print(f"FAIL: the reports name the sandboxes {sorted(map(str, sandboxes))}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
