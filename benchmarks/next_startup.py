"""`kata next` (and `list`, `hint`) against a bare `python -c pass`, side by side in one run.

    python benchmarks/next_startup.py [--repeats 15] [--course DIR]

Target (DESIGN.md): under 0.3 s wall, and torch never imported. The commands run interleaved in a
fresh learner workspace, so a busy machine slows them alike; medians of wall and CPU time are
printed with the ratio to the bare interpreter. Exits 1 when a learner verb imports torch, numpy
or pytest.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _bench import Timing, fmt, kata_command, load_note, run_timed

TARGET_S = 0.3
HEAVY = ("torch", "numpy", "pytest")
PROBE = ("import json, sys\nfrom grader.cli import cli\ncli(sys.argv[1:], standalone_mode=False)\n"
         f"print('HEAVY=' + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--course", type=Path, default=None,
                        help="a course folder (KATA_COURSE); default: the course in this checkout")
    args = parser.parse_args()

    env = dict(os.environ)
    if args.course:
        env["KATA_COURSE"] = str(args.course.resolve())
    kata = kata_command()
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        space = Path(tmp) / "ws"
        subprocess.run([*kata, "init", str(space)], env=env, check=True, capture_output=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import click'": [sys.executable, "-c", "import click"],
            "kata next": [*kata, "next"],
            "kata list": [*kata, "list"],
            "kata hint": [*kata, "hint"],
        }
        for cmd in commands.values():  # warm the file cache once
            run_timed(cmd, cwd=space, env=env)
        timings = {name: Timing([], []) for name in commands}
        for _ in range(args.repeats):
            for name, cmd in commands.items():
                wall, cpu, _ = run_timed(cmd, cwd=space, env=env)
                timings[name].wall.append(wall)
                timings[name].cpu.append(cpu)

        heavy = {}
        for verb in ("next", "list", "hint"):
            done = subprocess.run([sys.executable, "-c", PROBE, verb], cwd=space, env=env,
                                  capture_output=True, text=True, check=True)
            heavy[verb] = json.loads(done.stdout.strip().splitlines()[-1].removeprefix("HEAVY="))
        imports = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE, "next"], cwd=space, env=env,
                                 capture_output=True, text=True, check=True).stderr

    print(f"kata startup, {args.repeats} interleaved repeats, medians ({load_note()})")
    print(f"{'command':28} {'wall':>9} {'cpu':>9} {'wall/python':>12}")
    base = timings["python -c pass"]
    for name, t in timings.items():
        print(f"{name:28} {fmt(t.wall_median)} {fmt(t.cpu_median)} {t.wall_median / base.wall_median:11.2f}x")
    nxt = timings["kata next"]
    print(f"\n`kata next`: {nxt.wall_median:.3f} s wall (target < {TARGET_S} s: "
          f"{'met' if nxt.wall_median < TARGET_S else 'MISSED'}), "
          f"{nxt.wall_median - base.wall_median:.3f} s over a bare interpreter; "
          f"CPU {nxt.cpu_median:.3f} s vs {base.cpu_median:.3f} s")
    print("\nslowest imports of `kata next` (cumulative, python -X importtime):")
    rows = []
    for line in imports.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    for micros, name in sorted(rows, reverse=True)[:8]:
        print(f"  {micros / 1000:7.1f} ms {name}")
    bad = {verb: mods for verb, mods in heavy.items() if mods}
    for verb, mods in heavy.items():
        print(f"`kata {verb}` imports of {', '.join(HEAVY)}: {mods or 'none'}")
    if bad:
        print(f"FAIL: learner verbs imported heavy modules: {bad}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
