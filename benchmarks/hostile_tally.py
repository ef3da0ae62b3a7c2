"""Tally the hostile submissions under tests/submissions/hostile/: contained or breach, per class.

    python benchmarks/hostile_tally.py [--jobs 2] [--sandbox required]

Each case's meta.json names its exercise and what containment means ("not_full": below full
marks; "zero": no points but the forbid check's; "no_leak": no line of the course's check modules in any
message or output). Grades every case in one run, like a class, and prints one line per case and the totals.
Run it on another checkout of kata (PYTHONPATH=that checkout) to compare before and after.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.append(str(HERE))  # after PYTHONPATH: another checkout of kata is the one measured
from tests.test_hostile_judge import breach, cases  # noqa: E402 - the same cases and rules as the test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", default="required")
    args = parser.parse_args()
    from grader import api
    from grader.courses import default
    course = default()
    found = cases()
    work = [(course.manifest.get(m["exercise"]), p, f"exercises/{course.manifest.get(m['exercise']).relpath}")
            for _, m, p in found]
    results = api.grade_pairs(work, course=course, jobs=args.jobs, sandbox=args.sandbox)
    tally: Counter = Counter()
    for (name, meta, _), result in zip(found, results):
        why = breach(meta, result)
        tally[meta["class"], why is None] += 1
        print(f"{'CONTAINED' if why is None else 'BREACH   '} {name:55} {result.score:g}/{result.max_score:g}"
              f" {result.status}{'' if why is None else '  (' + why + ')'}")
    for cls in sorted({c for c, _ in tally}):
        print(f"class {cls}: {tally[cls, True]} contained, {tally[cls, False]} breaches")
    print(f"total: {sum(v for (c, ok), v in tally.items() if ok)} of {sum(tally.values())} contained"
          f" (kata at {Path(api.__file__).resolve().parent.parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
