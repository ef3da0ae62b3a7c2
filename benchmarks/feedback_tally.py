"""How often kata's feedback names a learner's mistake, on a set of mistakes it has never seen.

    python benchmarks/feedback_tally.py DIR [--jobs 2] [--sandbox auto] [--show]

DIR holds one folder per exercise id with one submission per file; each file's docstring has a
line `expect: phrase | phrase ...` (what a good message for its mistake would contain) or
`valid: ...` (a correct solution in another style, which must get full marks; it may live in
DIR/valid/<id>/). For a mistake, kata's first message is the one the learner reads first: the
exercise's own message, else the first check that did not pass, in course order. It counts as
named when it contains one of the phrases (case-insensitive); "caught" when the file lost points
at all. Run it on another checkout of kata (PYTHONPATH=that checkout) to compare before and after.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def cases(root: Path) -> list[tuple[str, Path, list[str] | None]]:
    """(exercise id, file, expected phrases or None for a valid solution)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(errors="replace")
        parts = path.relative_to(root).parts
        exercise = parts[1] if parts[0] == "valid" else parts[0]
        expect = re.search(r"^\s*expect:\s*(.+)$", text, re.M)
        if re.search(r"^\s*(?:\"\"\"|''')?\s*valid:", text, re.M):
            found.append((exercise, path, None))
        elif expect:
            found.append((exercise, path, [p.strip().lower() for p in expect.group(1).split("|") if p.strip()]))
    return found


def first_message(result) -> str:
    if result.message:
        return result.message
    for check in result.checks:
        if check.counts and check.outcome != "passed" and check.message:
            return check.message
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--show", action="store_true", help="print each first message")
    args = parser.parse_args()
    from grader import api
    from grader.courses import default
    course = default()
    found = [c for c in cases(args.root) if c[0] in course.manifest.ids]
    work = [(course.manifest.get(e), p, f"exercises/{course.manifest.get(e).relpath}") for e, p, _ in found]
    results = api.grade_pairs(work, course=course, jobs=args.jobs, sandbox=args.sandbox)
    named = caught = mistakes = valid = valid_full = 0
    for (exercise, path, phrases), result in zip(found, results):
        score = f"{result.score:g}/{result.max_score:g}"
        name = f"{exercise}/{path.stem}"
        if phrases is None:
            valid += 1
            full = result.max_score > 0 and result.score == result.max_score
            valid_full += full
            print(f"{'VALID-FULL' if full else 'VALID-LOST'} {name:50} {score}")
            continue
        mistakes += 1
        message = first_message(result)
        hit = any(p in message.lower() for p in phrases)
        lost = result.score < result.max_score
        named += hit
        caught += lost
        print(f"{'NAMED ' if hit else 'caught' if lost else 'MISSED'} {name:50} {score}")
        if args.show:
            print("    " + message[:600].replace("\n", "\n    "))
    print(f"named first: {named} of {mistakes}; caught: {caught} of {mistakes};"
          f" valid solutions with full marks: {valid_full} of {valid}"
          f" (kata at {Path(api.__file__).resolve().parent.parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
