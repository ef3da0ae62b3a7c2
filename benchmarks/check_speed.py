"""`kata check` of a NumPy exercise against `python -c "import torch"`, and how fast a hang is reported.

    python benchmarks/check_speed.py [--repeats 5] [--sandbox auto|none]

Targets (DESIGN.md): `kata check` of an exercise whose checks never use torch takes at most 0.5x
the time of importing torch; an infinite loop is reported within 10 s (per-check limits learned
from the reference solution's timings). The commands run interleaved in a fresh learner workspace
(linear_regression_numpy holds the reference solution; a copy whose `step` never returns is the
hang) and medians of wall and CPU time are printed with the ratios.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _bench import REPO, Timing, fmt, kata_command, load_note, run_timed

EXERCISE = "linear_regression_numpy"
RELPATH = Path("02_from_scratch") / f"{EXERCISE}.py"
HANG = "\n\ndef step(w, b, grad_w, grad_b, lr):\n    while True:\n        pass\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sandbox", default="auto", choices=["auto", "none", "required"])
    args = parser.parse_args()
    kata = kata_command()
    env = dict(os.environ, KATA_SANDBOX=args.sandbox)
    env.pop("KATA_COURSE", None)
    solution = (REPO / "solutions" / RELPATH).read_text()
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        space = Path(tmp) / "ws"
        run_timed([*kata, "init", str(space)], env=env)
        mine = space / "exercises" / RELPATH
        commands = {
            'python -c "import torch"': ([sys.executable, "-c", "import torch"], solution, True),
            f"kata check {EXERCISE}": ([*kata, "check", EXERCISE], solution, True),
            f"kata check {EXERCISE}, step hangs": ([*kata, "check", EXERCISE], solution + HANG, False),
        }
        timings = {name: Timing([], []) for name in commands}
        for _ in range(args.repeats):
            for name, (cmd, source, check) in commands.items():
                mine.write_text(source)
                wall, cpu, done = run_timed(cmd, cwd=space, env=env, check=check)
                if not check and "Timed out" not in done.stdout:
                    raise SystemExit(f"the hang was not reported as a time-out:\n{done.stdout[-2000:]}")
                timings[name].wall.append(wall)
                timings[name].cpu.append(cpu)
    torch_wall = timings['python -c "import torch"'].wall_median
    print(f"sandbox {args.sandbox}; {args.repeats} interleaved repeats; {load_note()}")
    print(f"{'command':44} {'wall':>8} {'cpu':>8} {'vs import torch':>16}")
    for name, timing in timings.items():
        print(f"{name:44} {fmt(timing.wall_median):>8} {fmt(timing.cpu_median):>8}"
              f" {timing.wall_median / torch_wall:15.2f}x")
    check = timings[f"kata check {EXERCISE}"].wall_median / torch_wall
    hang = timings[f"kata check {EXERCISE}, step hangs"].wall_median
    print(f"\nkata check / import torch: {check:.2f}x (target <= 0.5): {'met' if check <= 0.5 else 'NOT met'}")
    print(f"a hang reported after {hang:.1f} s (target <= 10 s): {'met' if hang <= 10 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
